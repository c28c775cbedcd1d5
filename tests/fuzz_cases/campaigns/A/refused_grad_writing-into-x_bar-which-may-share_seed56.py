# s2sad fuzz case (seed 56), shrunk: REFUSED:grad:writing into x_bar, which may share
# /tmp/s2sad-fuzz-0uaswrtf/s2sad_fuzz_case_14235_670.py:8: writing into x_bar, which may share memory with another value (a view, or an outside object's array): its derivative cannot follow the other holders (make a copy first: x_bar = x_bar.copy(), or build a new list) (see docs/limitations.md)
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    v5 = x
    arr6 = v5.copy()
    x_bar = arr6
    x_bar[2] = 0.5
    return 0.5


ARGS = (np.array([0.5879277299052041, -1.2560526823555278, 1.2500827762001172, 0.5839709515218809]), 0.1149516134243973,)
