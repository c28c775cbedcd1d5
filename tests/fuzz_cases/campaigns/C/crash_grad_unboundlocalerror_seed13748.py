# s2sad fuzz case (seed 13748), shrunk: CRASH:grad:UnboundLocalError: cannot access local variable 'c'
# UnboundLocalError: cannot access local variable 'c' where it is not associated with a value
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def h1(a, *, c=0.5):
    c += 0.5
    return c

def f(x, y):
    d1 = y
    s2 = d1
    v3 = s2
    s13 = h1(v3)
    return s13


ARGS = (0.05752364454970138, -0.6992704340504586,)
