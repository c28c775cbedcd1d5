# fuzz seed 300037 (--hessian): an array unpacked from an iteration's kept tuple was refused (the tuple's items were not told apart)
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    s12 = 0.5
    n19 = 1
    for j in range(n19):
        arr20 = np.zeros(4)
        arr20[1] -= x[0]
        s12 -= arr20[j]
    return s12


ARGS = (np.array([0.6629850388646026, 0.642071905035789, 0.32404065515486313, -0.7585361245257024]), 0.6546636170652913,)
