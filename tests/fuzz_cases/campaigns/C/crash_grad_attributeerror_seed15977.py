# s2sad fuzz case (seed 15977), shrunk: CRASH:grad:AttributeError: 'NoneType' object has no attribute
# AttributeError: 'NoneType' object has no attribute 'kind'
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def h1(a):
    return 0.5

def f(x, y):
    s4 = h1(0.25) if 0.5 else x
    return s4


ARGS = (np.array([-0.12393337274533955, 0.1604764475467202, -0.8797629481421182, -0.9880596775315871]), {'a': 1.2462711321517486, 'b': -0.08214001019805006},)
