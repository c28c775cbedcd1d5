# s2sad fuzz case (seed 96), shrunk: REFUSED:hessian:writing into items, which may share
# <s2sad f:f_vjp 8c4d7786e4>:12: writing into items, which may share memory with another value (a view, or an outside object's array): its derivative cannot follow the other holders (make a copy first: items = items.copy(), or build a new list) (see docs/limitations.md)
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    sin_x = int(2.0)
    for i in range(sin_x):
        lst10 = [0.5 for e in y]
    return 0.5


ARGS = (np.array([0.5958394578542312, 0.6081129684381399, 0.12556977959573135, -0.026523766940989235]), np.array([0.08291332856969058, 0.4807575730971001, -1.0589971972472376, 1.1992746956464841]),)
