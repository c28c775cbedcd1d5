# s2sad fuzz case (seed 2007176), shrunk: WRONG:general-vs-specialized
# general-vs-specialized: got [0. 0. 0. 1. 0. 0. 0. 1.], expected [0. 0. 0. 0. 0. 0. 0. 1.]
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    d2 = {'p': y[3], 'q': (y + x) ** 3}
    s3 = d2['p']
    for e in y:
        v8 = y
    return s3


ARGS = (np.array([0.922998221816173, 1.289180375021578, -0.7625066929861816, -0.8371322652382698]), np.array([-0.0013234794582559495, -0.43943188400616195, 0.20697037041104327, 0.39296359682526893]),)
