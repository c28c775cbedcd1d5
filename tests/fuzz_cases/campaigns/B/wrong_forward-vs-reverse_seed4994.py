# s2sad fuzz case (seed 4994), shrunk: WRONG:forward-vs-reverse
# forward-vs-reverse: got 0.004056, expected 0.004055
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    d13 = {'p': y - x, 'q': -4 * 0.5}
    d13['q'] = d13['q'] * np.tanh(np.tanh(y))
    s14 = d13['p'] + d13['q']
    arr15 = np.zeros(4)
    arr15[2] = 0.5
    for i in range(4):
        arr15[3 - i] *= np.cos(s14)
    return np.sum(arr15)


ARGS = (0.29200902960948394, -0.939856057037298,)
