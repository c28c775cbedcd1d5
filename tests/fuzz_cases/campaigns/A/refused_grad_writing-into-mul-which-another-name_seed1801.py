# s2sad fuzz case (seed 1801), shrunk: REFUSED:grad:writing into mul, which another name
# /tmp/s2sad-fuzz-0uaswrtf/s2sad_fuzz_case_14235_5236.py:6: writing into mul, which another name also holds (v8 = mul): its derivative cannot follow the other holders (make a copy first: mul = mul.copy(), or build a new list) (see docs/limitations.md)
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    mul = np.ones(4)
    mul[2] += 3
    v8 = mul
    return 0.25


ARGS = (0.3703134016123799, np.array([-1.136416143176639, -0.9298014486270394, -1.0050405824370172, -0.899208348429847]),)
