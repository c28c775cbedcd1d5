# s2sad fuzz case (seed 2517), shrunk: CRASH:grad:ValueError: cannot reshape array of size
# ValueError: cannot reshape array of size 4 into shape ()
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def h1(a, b):
    for e in a:
        n1 = 0.5
        mul = a.copy()
        mul[2] -= 0.5
        for i in range(4):
            pass
        v3 = mul
        a = v3
        t1 = 0.5
    return a

def f(x, y):
    v8 = np.exp(np.tanh(-y))
    v8 = h1((v8.reshape(2, 2) @ v8.reshape(2, 2)).ravel(), np.sum(v8))
    s9, x = (x, float(np.sum(v8 - np.array([x, v8[0], v8[1], 0.7]))))
    s10, x = (x, max(v8[3], 0.25))
    return v8[2] + 0.5 * s9 + -0.3 * s10 + np.sum(v8)


ARGS = (-0.7372671305215075, np.array([-0.8592523451690031, 0.32616318205237804, -1.1246844819463317, -0.45914630041260873]),)
