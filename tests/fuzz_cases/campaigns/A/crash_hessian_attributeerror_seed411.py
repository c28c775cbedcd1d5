# s2sad fuzz case (seed 411), shrunk: CRASH:hessian:AttributeError: 'NoneType' object has no attribute
# AttributeError: 'NoneType' object has no attribute 'kind'
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def h1(a):
    s1 = a[1]
    return 1.5 + 0.5 * s1 + np.sum(a)

def f(x, y):
    s6 = h1(np.linspace(0.0, 1.0, 4) * y)
    s6 += x
    return s6


ARGS = (-0.9955234138405311, 1.0410833448750993,)
