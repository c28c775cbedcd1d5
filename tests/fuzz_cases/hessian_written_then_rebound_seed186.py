# fuzz seed 186: the Hessian of a local array written by index, then rebound, is refused (writing into t in f_vjp)
import math

import numpy as np


def f(x, y):
    t = np.zeros(4)
    t[3] += 0.5
    t = 0.5 * x
    return np.sum(t)


ARGS = (np.array([0.3313807677877547, -0.9381101861840708, 1.081793010930295, 0.16667779177506792]), 0.5)
