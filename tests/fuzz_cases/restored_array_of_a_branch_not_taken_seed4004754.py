# s2sad fuzz case (seed 4004754), shrunk: CRASH:grad:AttributeError: 'NoneType' object has no attribute
# AttributeError: 'NoneType' object has no attribute 'copy'
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def h1(a, b):
    for i in range(3):
        if 0.5:
            pass
        else:
            arr7 = 4
            arr7[1] *= 2.0
            v8 = 0.5 if arr7 else 0.5
    return 0.5

def f(x, y):
    s19 = h1(0.5, y)
    return s19


ARGS = (-0.7989527737693418, -1.1421246312061457,)
