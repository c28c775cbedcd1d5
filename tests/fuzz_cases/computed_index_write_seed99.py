# fuzz seed 99: computed-index writes in a loop (known class)
import math

import numpy as np


def f(x, y):
    arr3 = x.copy()
    for i in range(4):
        arr3[3 - i] *= x[i]
    return np.sum(arr3)


ARGS = (np.array([0.015679753825825538, 0.16923824263966947, 0.030981495199334796, 1.2276845675541537]), 0.5)
