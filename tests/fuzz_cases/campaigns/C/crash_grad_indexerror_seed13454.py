# s2sad fuzz case (seed 13454), shrunk: CRASH:grad:IndexError: too many indices for array:
# IndexError: too many indices for array: array is 0-dimensional, but 1 were indexed
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    mul = np.ones(4)
    mul[2:4] = (np.linspace(0.0, 1.0, 4) * y).sum()
    arr10 = mul.copy()
    arr10[:] = np.sum(mul[0:2])
    return arr10[3]


ARGS = (0.25348195115640815, -0.10740842466033129,)
