# fuzz seed 2500+: an inactive helper result combined with an active value: grad crashes (AttributeError: 'NoneType' object has no attribute 'kind')
import math

import numpy as np


def h1(a):
    return 0.5


def f(x, y):
    s1 = h1(0.25)
    s1 = s1 - y
    return s1


ARGS = (0.941224463421998, -0.2900634718088475)
