# s2sad fuzz case (seed 3625), shrunk: CRASH:grad:ValueError: setting an array element with
# ValueError: setting an array element with a sequence.
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    s1 = 0.5
    s8 = x
    for i in range(3):
        arr9 = np.ones(4)
        arr9[2] *= s8
        lst10 = [e for e in arr9]
        s11 = sum(lst10)
        s1 -= s11
    return s1


ARGS = (0.23338615428469578, {'a': -0.507246915362864, 'b': 0.2506748057575632},)
