# s2sad fuzz case (seed 2316), shrunk: REFUSED:grad:writing into pos, which may share
# /tmp/s2sad-fuzz-0uaswrtf/s2sad_fuzz_case_14235_6250.py:7: writing into pos, which may share memory with another value (a view, or an outside object's array): its derivative cannot follow the other holders (make a copy first: pos = pos.copy(), or build a new list) (see docs/limitations.md)
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    arr8 = x.copy()
    pos = arr8
    pos[2] = 2
    return 0.5


ARGS = (np.array([1.0027378846258024, 0.06551930908148562, -0.906240242423701, -0.8666089113846158]), {'a': 0.5680086844912717, 'b': -0.29264293847404765},)
