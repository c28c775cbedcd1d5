# s2sad fuzz case (seed 4991), shrunk: CRASH:grad:IndexError: too many indices for array:
# IndexError: too many indices for array: array is 0-dimensional, but 1 were indexed
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    v7 = x
    v8 = v7
    mul = np.zeros(4)
    mul[:] = v8
    return np.sum(mul[0:2])


ARGS = (0.09331937478150354, {'a': 0.6539175005640903, 'b': 0.39800435586274197},)
