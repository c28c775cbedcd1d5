# s2sad fuzz case (seed 2809), shrunk: CRASH:grad:TypeError: #.<locals>.#() got an unexpected keyword
# TypeError: __s2sad_factory__.<locals>.h1_by_c_fwd() got an unexpected keyword argument 'c'
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def h1(a, b, *, c=0.5):
    pass

def f(x, y):
    d4 = {'p': 3, 'q': h1(0.5, 0.5, c=x)}
    s5 = d4['p']
    return s5


ARGS = (np.array([0.9216259646032368, 1.0264620000714355, -1.1894311683983634, -0.0003841770366699304]), 1.0748108222472565,)
