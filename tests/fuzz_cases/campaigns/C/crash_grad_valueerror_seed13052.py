# s2sad fuzz case (seed 13052), shrunk: CRASH:grad:ValueError: cannot reshape array of size
# ValueError: cannot reshape array of size 4 into shape ()
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    s6 = y
    d8 = {'p': (np.linspace(0.0, 1.0, 4) * s6).reshape(2, 2).ravel().reshape(2, 2).dot(0.5), 'q': 0.5}
    s9 = d8['q']
    return s9


ARGS = (0.848534467273572, 1.2205703640235808,)
