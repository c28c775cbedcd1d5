# s2sad fuzz case (seed 1672), shrunk: REFUSED:hessian:writing into unbroadcast, which may share
# <s2sad f:f_vjp e63700aebd>:5: writing into unbroadcast, which may share memory with another value (a view, or an outside object's array): its derivative cannot follow the other holders (make a copy first: unbroadcast = unbroadcast.copy(), or build a new list) (see docs/limitations.md)
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    unbroadcast = np.zeros(4)
    unbroadcast[3] = 0.5
    unbroadcast = x * 0.5
    return unbroadcast[1]


ARGS = (np.array([1.1103612025747742, 0.48927686765468725, -0.589566608066038, -0.3147119572498255]), np.array([0.09759607244302981, -0.4706688516767715, 0.598445848725679, 0.7449764141434942]),)
