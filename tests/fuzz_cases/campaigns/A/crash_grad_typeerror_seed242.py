# s2sad fuzz case (seed 242), shrunk: CRASH:grad:TypeError: #.<locals>.#() got an unexpected keyword
# TypeError: __s2sad_factory__.<locals>.h1_by_b_fwd() got an unexpected keyword argument 'c'
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def h1(a, b, *, c=0.5):
    pass

def f(x, y):
    s6, y = (0.5, h1(2, x, c=0.5))
    d7 = {'p': 0, 'q': s6}
    s8 = 0.5
    return s6 + 1.0 + 0.3


ARGS = (np.array([-1.0753327495138592, 0.9663649010803936, -0.2117314896823681, -0.9754567390696044]), 0.5278798362955521,)
