# s2sad fuzz case (seed 12684), shrunk: WRONG:reverse-vs-reference
# reverse-vs-reference: got [ 0.        0.        0.        0.        0.       -0.478639  1.260352   0.      ], expected [ 0.        0.        0.        0.        0.       -0.379766  1.260352   0.      ]
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    v1 = y
    arr7 = v1.copy()
    for i in range(4):
        arr7[3 - i] *= v1[i]
    s8 = arr7[2]
    return s8


ARGS = (np.array([1.1534368937973214, -0.09055175869110887, 0.824828160355646, -0.5946462249047055]), np.array([0.6643922673618916, 1.2603515198183122, -0.3797664704030481, 0.2358743718976375]),)
