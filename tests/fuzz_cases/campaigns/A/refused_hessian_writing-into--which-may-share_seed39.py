# s2sad fuzz case (seed 39), shrunk: REFUSED:hessian:writing into #, which may share
# <s2sad h1:h1_bwd dfd12198e3>:15: writing into arr2, which may share memory with another value (a view, or an outside object's array): its derivative cannot follow the other holders (make a copy first: arr2 = arr2.copy(), or build a new list) (see docs/limitations.md)
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def h1(a):
    arr2 = 4
    0.5[3] = 0.5
    return 0.5

def f(x, y):
    for i in range(3):
        return np.cos(np.log(y[i] * y[i] + 1.0))
    arr4 = y.copy()
    s5, x = (x, np.dot(arr4 ** 3, arr4 ** 3) if arr4[2] * arr4[0] >= -0.2 else math.sin(h1(x)))
    return (0.25 if np.log(x * x + 1.0) < 0.0 else arr4[0]) + -0.3 * s5 + np.sum(arr4)


ARGS = (0.004451088593661279, np.array([0.10227205613687018, -0.9467270749162502, -0.5033949221036866, 0.20588016488450656]),)
