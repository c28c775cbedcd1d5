# s2sad fuzz case (seed 5), shrunk: REFUSED:grad:writing into #, which may share
# /tmp/s2sad-fuzz-0uaswrtf/s2sad_fuzz_case_14235_88.py:7: writing into arr7, which may share memory with another value (a view, or an outside object's array): its derivative cannot follow the other holders (make a copy first: arr7 = arr7.copy(), or build a new list) (see docs/limitations.md)
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    arr6 = y.copy()
    arr7 = arr6
    arr7[2] -= 0.5
    return 0.5


ARGS = (np.array([0.7930076017379883, 0.8006460533148838, 0.039846458709569266, -0.5569164117708318]), np.array([-1.1597801738076934, -0.3032409099576526, -0.2379696659080035, -1.1822844958536427]),)
