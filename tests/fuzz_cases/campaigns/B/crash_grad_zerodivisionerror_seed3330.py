# s2sad fuzz case (seed 3330), shrunk: CRASH:grad:ZeroDivisionError: #.# cannot be raised to
# ZeroDivisionError: 0.0 cannot be raised to a negative power
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    t1 = x
    for i in range(2):
        for j in range(2):
            t1 -= t1 ** j
    return t1


ARGS = (0.718875158206618, -0.8695538931923603,)
