# s2sad fuzz case (seed 13196), shrunk: CRASH:grad:TypeError: unsupported operand type(s) for -:
# TypeError: unsupported operand type(s) for -: 'NoneType' and 'float'
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def h2(a, b, *, c=0.5):
    for i in range(3):
        c -= np.linalg.norm(a)
    return c

def f(x, y):
    v11 = x
    return h2(v11, 0.5)


ARGS = (np.array([0.0340334595950047, 0.07609231549513518, 0.08976130681255823, -0.09464000396410133]), {'a': -0.9159947807934292, 'b': -1.1687972060247371},)
