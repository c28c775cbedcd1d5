# fuzz seed 2046: an index read of an argument, then the argument aliased in a loop: grad raises ValueError: assignment destination is read-only
import math

import numpy as np


def f(x, y):
    v9 = x - x[0]
    for i in range(2):
        d11 = x
    return np.sum(v9)


ARGS = (np.array([0.3313807677877547, -0.9381101861840708, 1.081793010930295, 0.16667779177506792]), 0.5)
