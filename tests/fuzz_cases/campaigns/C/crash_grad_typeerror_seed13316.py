# s2sad fuzz case (seed 13316), shrunk: CRASH:grad:TypeError: #.<locals>.#() got an unexpected keyword
# TypeError: __s2sad_factory__.<locals>.h1_by_c_fwd() got an unexpected keyword argument 'c'
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def h1(a, *, c=0.5):
    return 0.5

def f(x, y):
    d3 = {'p': h1(0.5, c=x), 'q': 2}
    s4 = d3['q']
    return s4


ARGS = (np.array([0.9630118707857862, 0.026664731995451163, -0.06831171812641812, -0.28248277931018273]), -0.5741843037412689,)
