# s2sad fuzz case (seed 1383), shrunk: CRASH:grad:TypeError: unsupported operand type(s) for +:
# TypeError: unsupported operand type(s) for +: 'NoneType' and 'float'
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def h1(a, *, c=0.5):
    for i in range(4):
        pass
    s2 = 0
    return 0.5

def f(x, y):
    k3 = 0
    v5 = y
    s6 = 0.7 ** 3
    arr7 = np.ones(4) * 0.5
    arr7[0:4] = (y * -y[3])[0:4]
    s8 = h1(-arr7)
    s9 = np.log(0.25 * 0.25 + 1.0)
    return y[0] + -0.3 * s9 + -0.3 * s8 + -0.3 * s6 + np.sum(v5)


ARGS = (0.5651882587424153, np.array([0.3742691380691714, 0.46899976721829395, 0.20489471153244554, 0.16055615787979116]),)
