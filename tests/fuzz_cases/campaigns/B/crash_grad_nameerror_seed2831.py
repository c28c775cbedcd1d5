# s2sad fuzz case (seed 2831), shrunk: CRASH:grad:NameError: name 'c' is not defined
# NameError: name 'c' is not defined
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def h1(a, *, c=0.5):
    k1 = 0
    return 0.5

def f(x, y):
    s4, y = (y, max(h1(y if 2.0 <= 0.3 else 0.25), x[1] ** 2 - y + x[0]))
    return np.cos(0.5) + 1.5 * s4


ARGS = (np.array([0.6650610697224739, -1.2788716917046754, -0.028275390505860365, -0.3184962531966885]), 1.144415715692643,)
