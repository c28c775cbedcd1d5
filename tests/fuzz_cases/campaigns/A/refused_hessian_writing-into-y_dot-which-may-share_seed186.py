# s2sad fuzz case (seed 186), shrunk: REFUSED:hessian:writing into y_dot, which may share
# <s2sad f:f_vjp 4bde810a81>:7: writing into y_dot, which may share memory with another value (a view, or an outside object's array): its derivative cannot follow the other holders (make a copy first: y_dot = y_dot.copy(), or build a new list) (see docs/limitations.md)
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    y_dot = np.zeros(4)
    y_dot[3] += 0.5
    y_dot = 0.5 * x
    return np.sum(y_dot)


ARGS = (np.array([0.12286152560819308, 0.35033662270918065, 0.9679661355198446, 0.5750036443380482]), {'a': 0.2861249338552403, 'b': 1.1812942713846966},)
