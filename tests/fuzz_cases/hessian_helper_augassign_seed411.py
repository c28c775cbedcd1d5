# fuzz seed 411: augmented assignment onto a helper's result: hessian crashes (AttributeError: 'NoneType' object has no attribute 'kind')
import math

import numpy as np


def h1(a):
    return 1.5 + 0.5 * a[1] + np.sum(a)


def f(x, y):
    s6 = h1(np.linspace(0.0, 1.0, 4) * y)
    s6 += x
    return s6


ARGS = (-0.9955234138405311, 1.0410833448750993)
