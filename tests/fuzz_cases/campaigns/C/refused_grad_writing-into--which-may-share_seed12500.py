# s2sad fuzz case (seed 12500), shrunk: REFUSED:grad:writing into #, which may share
# /tmp/s2sad-fuzz-o41l9qa4/s2sad_fuzz_case_1250_68.py:7: writing into arr5, which may share memory with another value (a view, or an outside object's array): its derivative cannot follow the other holders (make a copy first: arr5 = arr5.copy(), or build a new list) (see docs/limitations.md)
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    arr4 = np.ones(4)
    arr5 = arr4
    arr5[:] = 4
    return 0.5


ARGS = (0.09045698949952019, {'a': 0.23355355978882741, 'b': -0.14803180369517},)
