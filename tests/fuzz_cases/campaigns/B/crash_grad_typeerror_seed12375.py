# s2sad fuzz case (seed 12375), shrunk: CRASH:grad:TypeError: unsupported operand type(s) for *:
# TypeError: unsupported operand type(s) for *: 'NoneType' and 'NoneType'
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def h1(a, *, c=0.5):
    if 0.5:
        pass
    else:
        c += 0.5
        lst6 = 2.0
        s7 = 0.5
    a = 0.7
    return 0.7

def h2(a, b):
    s8 = 0.5
    d9 = {'p': 0.5, 'q': 0.5}
    d9['q'] = 0.5
    s10 = 0.5
    s11 = 0.5
    return 0.5

def f(x, y):
    s12 = h2(y[2] * y[1] if np.cos(y[3]) <= 0.0 else -y[2], y / (np.linspace(0.0, 1.0, 4) * y[0] * (np.linspace(0.0, 1.0, 4) * y[0]) + 1.0) / (y[::-1] * y[::-1] + 1.0))
    s12 += (s12 + y[0] if y[2] + s12 <= -0.2 else np.mean(y)) ** 2
    arr13 = y.copy()
    out = h2(arr13[2], y ** 3)
    if float(np.sum(arr13)) < 0.0:
        out -= h1(s12)
    return arr13[2] / (arr13[0] * arr13[0] + 1.0) + 1.5 * s12 + -0.3 * out + np.sum(arr13)


ARGS = (0.09618243868765797, np.array([-0.47889659994535905, -0.8847274223175756, 0.3382865893045246, 0.0805035614125309]),)
