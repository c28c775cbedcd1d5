# s2sad fuzz case (seed 811), shrunk: REFUSED:grad:writing into add, which may share
# /tmp/s2sad-fuzz-0uaswrtf/s2sad_fuzz_case_14235_2944.py:7: writing into add, which may share memory with another value (a view, or an outside object's array): its derivative cannot follow the other holders (make a copy first: add = add.copy(), or build a new list) (see docs/limitations.md)
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    arr16 = np.ones(4)
    add = arr16
    add[1] = 0.5
    return 0


ARGS = (0.7481534987966991, 0.2805206461596932,)
