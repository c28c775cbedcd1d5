# s2sad fuzz case (seed 691), shrunk: REFUSED:grad:writing into out, which may share
# /tmp/s2sad-fuzz-0uaswrtf/s2sad_fuzz_case_14235_2634.py:7: writing into out, which may share memory with another value (a view, or an outside object's array): its derivative cannot follow the other holders (make a copy first: out = out.copy(), or build a new list) (see docs/limitations.md)
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    arr2 = np.zeros(4)
    out = arr2
    out[0] *= 0.5
    return 1.5


ARGS = (np.array([0.8244741700902443, -0.12186334654900755, -1.1578155766897094, 0.8426418579638304]), -0.3476548144137449,)
