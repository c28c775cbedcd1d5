# s2sad fuzz case (seed 196), shrunk: REFUSED:hessian:writing into mul, which may share
# <s2sad f:f_vjp 522bf4ba1d>:5: writing into mul, which may share memory with another value (a view, or an outside object's array): its derivative cannot follow the other holders (make a copy first: mul = mul.copy(), or build a new list) (see docs/limitations.md)
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    v3 = x
    mul = np.zeros(4)
    mul[0] = 0.5
    mul = np.where(0.5, v3, 1.5)
    return mul[0]


ARGS = (np.array([0.9933094200833714, -0.21566623916747218, 0.5906503959768308, 1.108438073873575]), -1.0096781192620896,)
