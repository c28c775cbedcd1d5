# fuzz seed 0: and/or in a while condition crashes (known class)
import math

import numpy as np


def f(x, y):
    v4 = x
    k5 = 0
    while k5 < 3 and v4[1] - v4[2] < 0.0:
        k5 = k5 + 1
        v4 = v4 * 0.5
    return x[0] + np.sum(v4)


ARGS = (np.array([0.3313807677877547, -0.9381101861840708, 1.081793010930295, 0.16667779177506792]), 0.5)
