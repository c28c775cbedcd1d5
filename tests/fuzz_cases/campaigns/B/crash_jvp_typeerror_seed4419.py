# s2sad fuzz case (seed 4419), shrunk: CRASH:jvp:TypeError: #.<locals>.#() missing # required positional
# TypeError: __s2sad_factory__.<locals>.h2_by_b_jvp() missing 1 required positional argument: 'b_dot'
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def h2(a, b, *, c=0.5):
    return b + 1.5 * b

def f(x, y):
    arr5 = y.copy()
    arr5[:] = h2(0.5, y)
    return np.sum(arr5)


ARGS = (np.array([-0.11223252190885313, 0.5766600262050321, -0.8840909708887936, 0.7672609320091277]), np.array([0.7835994651871958, -0.17607162076874805, 0.5131881370137596, 0.3169478578836189]),)
