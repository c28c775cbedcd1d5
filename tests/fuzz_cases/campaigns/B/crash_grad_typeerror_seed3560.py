# s2sad fuzz case (seed 3560), shrunk: CRASH:grad:TypeError: unsupported operand type(s) for -:
# TypeError: unsupported operand type(s) for -: 'NoneType' and 'float'
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def h1(a, b, *, c=0.5):
    v1 = 0.0
    arr2 = 0.5
    a = 0.5
    for i in range(4):
        a = 0.5
        if 0.5:
            s3, c = (0.5, 0.5)
            v4 = 0.5
        a = 0.5
    s5 = 0.5
    return 0.5

def f(x, y):
    s6 = y + 0.7 + y * x[2]
    v7 = x
    s10 = h1(v7, -v7[2] / (v7[1] * v7[1] + 1.0))
    return v7[0] / (x[1] * x[1] + 1.0) + 0.5 * s6 + 1.5 * s10 + np.sum(v7)


ARGS = (np.array([0.23319704254487217, -0.7854407301893991, -0.6161409495331851, 0.22920896972061544]), 0.7207117384677317,)
