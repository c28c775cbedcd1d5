# fuzz seed 300008 (--hessian), by hand: a helper's backward half restores an array of its record
# in place; differentiated again (the Hessian) that was a write into an argument and refused
# check: python -m s2sad.fuzz --file THIS_FILE
import numpy as np


def h1(a):
    arr1 = np.zeros(4)
    arr1[1:2] = (a + a)[1:2]
    for i in range(4):
        arr1[i] *= np.tanh(a[0])
    return np.tanh(arr1[1]) + np.sum(a)


def f(x, y):
    return h1(x * 1.5) * y


ARGS = (np.array([0.3, 0.5, -0.2, 0.7]), 0.8,)
