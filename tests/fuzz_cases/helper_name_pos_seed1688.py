# fuzz seed 1688: a local named pos (a runtime helper's name) breaks grad: IndexError (known class)
import math

import numpy as np


def f(x, y):
    pos = x.copy()
    arr4 = x.copy()
    arr4[0:2] = pos[0:2]
    return arr4[3]


ARGS = (np.array([0.3313807677877547, -0.9381101861840708, 1.081793010930295, 0.16667779177506792]), np.array([0.3313807677877547, -0.9381101861840708, 1.081793010930295, 0.16667779177506792]))
