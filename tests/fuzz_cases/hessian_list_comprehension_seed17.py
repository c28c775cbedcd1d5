# fuzz seed 17: the Hessian of any list comprehension is refused (runtime unappend uses .pop())
import math

import numpy as np


def f(x, y):
    lst = [e * e for e in x]
    return sum(lst)


ARGS = (np.array([0.3313807677877547, -0.9381101861840708, 1.081793010930295, 0.16667779177506792]), 0.5)
