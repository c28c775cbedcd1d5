# s2sad fuzz case (seed 14332), shrunk: WRONG:forward-vs-reverse
# forward-vs-reverse: got -7.309995e-05, expected 3.654995e-05
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    arr1 = np.ones(4)
    for i in range(4):
        arr1[3 - i] *= np.tanh(np.sum(np.cumsum(np.ones(4) * x)))
    return np.sum(arr1)


ARGS = (-0.7713619741182923, 0.9595006717090528,)
