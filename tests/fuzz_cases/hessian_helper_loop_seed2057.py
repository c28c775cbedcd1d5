# fuzz seed 2057: the Hessian through a helper whose loop rebinds its parameter is zero (known class: Hessians through helpers with loops)
import math

import numpy as np


def h1(a):
    for i in range(2):
        a = a + np.tanh(a)
    return a[1] + np.sum(a)


def f(x, y):
    return h1(x)


ARGS = (np.array([0.3313807677877547, -0.9381101861840708, 1.081793010930295, 0.16667779177506792]), 0.5)
