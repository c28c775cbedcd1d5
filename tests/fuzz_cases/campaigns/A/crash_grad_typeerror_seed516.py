# s2sad fuzz case (seed 516), shrunk: CRASH:grad:TypeError: unsupported operand type(s) for *:
# TypeError: unsupported operand type(s) for *: 'NoneType' and 'float'
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def h1(a, *, c=0.5):
    for j in range(2):
        s1 = 0.5
        c *= 0.5
    return 0.5

def f(x, y):
    d8 = {'p': abs(y) + y ** 3 * np.sin(x[1]), 'q': 0.25}
    s9 = d8['p'] + d8['q']
    arr10 = np.ones(4) * 0.5
    for i in range(4):
        arr10[i] = np.cos(x[i] - x[i])
    d11 = {'p': np.sum(arr10[1:3]), 'q': arr10[1] ** 2}
    d11['q'] = d11['q'] * np.tanh(h1(arr10[2]))
    s12 = d11['p'] + d11['q']
    d13 = {'p': x[0] - x[3] + 0.5 / (arr10[3] * arr10[3] + 1.0), 'q': (arr10[2] if y + x[3] < -0.2 else arr10[2]) * arr10[0] + s9}
    s14 = d13['p'] + d13['q']
    return np.exp(np.tanh(2.0)) + 0.5 * s14 + 0.5 * s9 + -0.3 * s12 + np.sum(arr10)


ARGS = (np.array([-1.0940475246521977, 0.40087741698614754, -1.2347922207677355, -0.134638145037574]), 0.5300569059801328,)
