# s2sad fuzz case (seed 14527), shrunk: CRASH:grad:ValueError: assignment destination is read-only
# ValueError: assignment destination is read-only
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    arr5 = np.ones(4)
    for i in range(4):
        arr5[3 - i] += x[i]
    d7 = {'p': 0, 'q': x.sum()}
    s8 = d7['p']
    n9 = int(2.0)
    for i in range(n9):
        arr10 = arr5.copy()
        arr10[0:2] = x[0]
    return arr5[3] + s8


ARGS = (np.array([-0.2797957610598132, -0.906599742240509, 1.0929187250659276, -0.584717022174625]), 1.2346073087857012,)
