# s2sad fuzz case (seed 102331), shrunk: CRASH:grad:ValueError: cannot reshape array of size
# ValueError: cannot reshape array of size 1 into shape (2,2)
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    v9 = x
    for i in range(4):
        v8 = v9.reshape(2, 2).reshape(4)
    return np.sum(v8)


ARGS = (np.array([1.1455930529944938, 0.631800280408997, 1.292310736273646, -0.4194317937668569]), -0.4964174724835049,)
