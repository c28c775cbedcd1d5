# s2sad fuzz case (seed 99), shrunk: WRONG:reverse-vs-reference
# reverse-vs-reference: got [1.246934 0.036225 0.174481 0.03136  0.       0.      ], expected [2.455369 0.061963 0.338476 0.03136  0.       0.      ]
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    arr3 = x.copy()
    for i in range(4):
        arr3[3 - i] *= x[i]
    return np.sum(arr3)


ARGS = (np.array([0.015679753825825538, 0.16923824263966947, 0.030981495199334796, 1.2276845675541537]), {'a': 0.2987481691197218, 'b': 0.1775370945258976},)
