# s2sad fuzz case (seed 752), shrunk: REFUSED:hessian:writing into add, which may share
# <s2sad f:f_vjp 65cada15a5>:7: writing into add, which may share memory with another value (a view, or an outside object's array): its derivative cannot follow the other holders (make a copy first: add = add.copy(), or build a new list) (see docs/limitations.md)
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    v12 = x
    add = np.zeros(4)
    for i in range(4):
        add[i] = 2
    add = 0.5 + v12
    return add[3]


ARGS = (np.array([0.7143477279409172, 0.5277799707842077, -0.07545552291926794, -1.2611092564261797]), 1.186221842510519,)
