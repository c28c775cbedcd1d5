# s2sad fuzz case (seed 1424), shrunk: CRASH:grad:NameError: name 'c' is not defined
# NameError: name 'c' is not defined
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def h2(a, *, c=0.5):
    return 0

def f(x, y):
    k4 = 0
    s5, x = (x, h2(np.linspace(0.0, 1.0, 4) * x) / (y['b'] * x * (y['b'] * x) + 1.0) + np.cumsum(np.ones(4) * y['b']).sum())
    arr12 = np.ones(4) * 0.5
    return np.max(arr12) + 1.5 * s5 + np.sum(arr12)


ARGS = (-0.8281012328577381, {'a': -0.5642265982670666, 'b': 0.5355038346626344},)
