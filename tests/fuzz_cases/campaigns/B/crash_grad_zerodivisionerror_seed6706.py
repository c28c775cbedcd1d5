# s2sad fuzz case (seed 6706), shrunk: CRASH:grad:ZeroDivisionError: integer modulo by zero
# ZeroDivisionError: integer modulo by zero
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    v9 = np.concatenate([np.ones(4) * y['b'], np.ones(4)])
    if v9[3] > 0.3:
        return v9
    return 0.5


ARGS = (0.7595121753899605, {'a': 0.4479877523601039, 'b': -1.0038903536313373},)
