# s2sad fuzz case (seed 9000235), shrunk: CRASH:grad:ValueError: cannot reshape array of size
# ValueError: cannot reshape array of size 1 into shape (2,2)
# check: python -m s2sad.fuzz --file THIS_FILE
import collections
import dataclasses
import functools
import math
import numpy as np
import s2sad

def f(x, y):
    v5 = x
    for e in x:
        if 0.1:
            sin_x = np.outer(np.ones(4)[:2], v5[2:]).reshape(4)
        else:
            arr12 = 0.5
            arr12[0:2] = sin_x
    return np.sum(sin_x)


ARGS = (np.array([-0.7463926654585307, 1.222674874454338, -0.7398327310889569, -1.2769893626535667]), 0.8772968585134848,)
