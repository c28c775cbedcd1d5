# fuzz seed 96: the Hessian of a list comprehension inside a loop is refused (writing into items in f_vjp)
import math

import numpy as np


def f(x, y):
    for i in range(2):
        lst = [0.5 * e for e in y]
    return sum(lst) * x[0]


ARGS = (np.array([0.3313807677877547, -0.9381101861840708, 1.081793010930295, 0.16667779177506792]), np.array([0.3313807677877547, -0.9381101861840708, 1.081793010930295, 0.16667779177506792]))
