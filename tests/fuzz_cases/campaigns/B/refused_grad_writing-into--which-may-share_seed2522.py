# s2sad fuzz case (seed 2522), shrunk: REFUSED:grad:writing into #, which may share
# /tmp/s2sad-fuzz-otokmbte/s2sad_fuzz_case_20777_563.py:7: writing into arr7, which may share memory with another value (a view, or an outside object's array): its derivative cannot follow the other holders (make a copy first: arr7 = arr7.copy(), or build a new list) (see docs/limitations.md)
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    arr6 = np.ones(4)
    arr7 = arr6
    arr7[1:3] = 0.5
    return 0.5


ARGS = (np.array([0.7166667914288942, -0.1211589506195696, 0.07172573175291719, 0.07611888296803593]), 1.0051326783912937,)
