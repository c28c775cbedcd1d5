# s2sad fuzz case (seed 2057), shrunk: WRONG:hessian-vs-fd
# hessian-vs-fd: got [0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0.], expected [-0.786925  0.        0.        0.        0.        6.770641  0.   0.        0.        0.        2.232262  0.        0.        0.   0.        1.756478]
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def h1(a):
    for i in range(2):
        a = a + np.tanh(a)
    return a[1] + np.sum(a)

def f(x, y):
    v5 = x
    return h1(v5)


ARGS = (np.array([1.1823713890538998, -0.4549949740165431, -0.6804743039637292, -0.09227920737401663]), {'a': 0.697636060755743, 'b': 0.7464051376155749},)
