# s2sad fuzz case (seed 19275), shrunk: CRASH:grad:ValueError: output array is read-only
# ValueError: output array is read-only
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    d2 = {'p': 0.5, 'q': x[0:3]}
    d2['q'] = np.sum(x)
    pos = d2['p']
    k4 = 0
    while k4:
        arr5 = 4
        arr5[3] += x
    return pos


ARGS = (np.array([-0.47187261787312995, -0.47110263204125613, 0.8203954742974979, 0.382016510194078]), {'a': 0.7312237149625933, 'b': -1.006547225256096},)
