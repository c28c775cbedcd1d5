# fuzz seed 2064: np.concatenate whose result gets no cotangent on the path taken: grad raises ZeroDivisionError: integer modulo by zero
import math

import numpy as np


def f(x, y):
    v4 = np.concatenate([x, x])
    if y > 5.0:
        return np.sum(v4)
    return 2.0 * x[0]


ARGS = (np.array([0.3313807677877547, -0.9381101861840708, 1.081793010930295, 0.16667779177506792]), 0.5)
