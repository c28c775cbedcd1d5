# s2sad fuzz case (seed 899), shrunk: REFUSED:grad:writing into mul, which may share
# /tmp/s2sad-fuzz-0uaswrtf/s2sad_fuzz_case_14235_3124.py:7: writing into mul, which may share memory with another value (a view, or an outside object's array): its derivative cannot follow the other holders (make a copy first: mul = mul.copy(), or build a new list) (see docs/limitations.md)
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    if 0.0:
        mul = arr10
        mul[3] = 0.5
    return 0.5


ARGS = (0.8164175618698126, -0.3900615947639494,)
