# s2sad fuzz case (seed 206), shrunk: CRASH:grad:AttributeError: 'NoneType' object has no attribute
# AttributeError: 'NoneType' object has no attribute 'kind'
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def h1(a):
    return 0.5

def f(x, y):
    s1 = h1(0.25)
    s1 -= y
    return s1


ARGS = (0.941224463421998, -0.2900634718088475,)
