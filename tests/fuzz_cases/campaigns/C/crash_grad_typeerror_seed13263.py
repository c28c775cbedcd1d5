# s2sad fuzz case (seed 13263), shrunk: CRASH:grad:TypeError: unsupported operand type(s) for +:
# TypeError: unsupported operand type(s) for +: 'NoneType' and 'float'
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def h1(a, *, c=0.5):
    arr1 = a.copy()
    for i in range(4):
        c += arr1[i]
    return c

def f(x, y):
    return h1(x)


ARGS = (np.array([0.34663396052742534, -1.075368892513242, -0.1834349385156555, -0.2708030038923983]), -0.17569677560522878,)
