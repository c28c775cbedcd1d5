# s2sad fuzz case (seed 530), shrunk: WRONG:forward-vs-reverse
# forward-vs-reverse: got -0.004824, expected -0.004815
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    v2 = x
    v2 = v2 + np.ones(4)
    arr8 = np.zeros(4)
    arr8[:] = 0.5
    for i in range(4):
        arr8[3 - i] *= np.cos(v2[i])
    pos = arr8[::-1]
    return pos[1]


ARGS = (np.array([0.3313807677877547, -0.9381101861840708, 1.081793010930295, 0.16667779177506792]), -0.3374288476099847,)
