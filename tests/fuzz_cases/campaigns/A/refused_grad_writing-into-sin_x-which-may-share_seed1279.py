# s2sad fuzz case (seed 1279), shrunk: REFUSED:grad:writing into sin_x, which may share
# /tmp/s2sad-fuzz-0uaswrtf/s2sad_fuzz_case_14235_3662.py:7: writing into sin_x, which may share memory with another value (a view, or an outside object's array): its derivative cannot follow the other holders (make a copy first: sin_x = sin_x.copy(), or build a new list) (see docs/limitations.md)
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    tape = np.zeros(4)
    sin_x = tape
    sin_x[:] = 4
    return 0.5


ARGS = (np.array([0.5819941376999329, 0.9648371471202457, 0.9590175123653768, -0.8421904449487885]), {'a': 1.2305944141348164, 'b': 0.4739202726701759},)
