# fuzz seed 306: writing into a local array that another name later holds is refused (known class: alias check by name)
import math

import numpy as np


def f(x, y):
    arr7 = x.copy()
    arr7[2] += y
    v15 = arr7
    return np.sum(v15)


ARGS = (np.array([0.3313807677877547, -0.9381101861840708, 1.081793010930295, 0.16667779177506792]), 0.5)
