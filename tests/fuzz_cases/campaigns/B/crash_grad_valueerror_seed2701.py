# s2sad fuzz case (seed 2701), shrunk: CRASH:grad:ValueError: assignment destination is read-only
# ValueError: assignment destination is read-only
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    s3 = x[0]
    lst4 = [0.5, np.sum(x)]
    s5 = lst4[0]
    for i in range(2):
        v6 = x
    return s5 + s3


ARGS = (np.array([0.07953766064031687, 1.29065584317272, -1.1288164982506195, -0.3077424438946993]), -1.100078136249033,)
