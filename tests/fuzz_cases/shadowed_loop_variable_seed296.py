# fuzz seeds 296, 3474: an inner loop reusing the outer loop's variable: the adjoint reads the outer value of i (silently wrong)
import numpy as np


def f(x, y):
    s = 0.0
    for i in range(2):
        for i in range(3):
            s = s + 0.0
        s = s + y[i] * x
    return s


ARGS = (0.5, np.array([0.3313807677877547, -0.9381101861840708, 1.081793010930295, 0.16667779177506792]))
