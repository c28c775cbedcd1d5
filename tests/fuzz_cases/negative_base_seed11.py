# fuzz seed 11: a negative constant base under ** in unoptimized code (known class)
import math

import numpy as np


def f(x, y):
    s6 = (-0.5) ** 2 * y
    return s6


ARGS = (np.array([0.3313807677877547, -0.9381101861840708, 1.081793010930295, 0.16667779177506792]), 1.1133486596969606)
