# s2sad fuzz case (seed 12506), shrunk: REFUSED:grad:writing into #, which another name
# /tmp/s2sad-fuzz-o41l9qa4/s2sad_fuzz_case_1250_189.py:7: writing into arr1, which another name also holds (v2 = arr1): its derivative cannot follow the other holders (make a copy first: arr1 = arr1.copy(), or build a new list) (see docs/limitations.md)
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    for i in range(2):
        arr1 = np.zeros(4)
        arr1[3 - i] += 0.5
        v2 = arr1
    return 0.5


ARGS = (-0.25988455294634116, {'a': -1.072132930363587, 'b': -0.9258189051821584},)
