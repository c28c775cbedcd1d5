# fuzz seed 1467: keyword-only helper parameters (known class)
import math

import numpy as np


def h1(a, *, c=0.5):
    return np.sum(a) * c


def f(x, y):
    return h1(y) + h1(x, c=y[0])


ARGS = (np.array([0.3313807677877547, -0.9381101861840708, 1.081793010930295, 0.16667779177506792]), np.array([0.3313807677877547, -0.9381101861840708, 1.081793010930295, 0.16667779177506792]))
