# fuzz seed 300044 (--hessian): a write into a restored array was refused as held by the loop counter
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    t1 = np.zeros(4)
    for i in range(4):
        t1[3 - i] = x[i]
    n2 = int(2.0)
    for i in range(n2):
        t1 = -t1
    return t1[0]


ARGS = (np.array([-0.23840975067541326, -1.1750009939982895, 0.7548164460841924, -0.8580984794788564]), 1.0578319738779178,)
