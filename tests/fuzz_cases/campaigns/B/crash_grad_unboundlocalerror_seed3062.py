# s2sad fuzz case (seed 3062), shrunk: CRASH:grad:UnboundLocalError: cannot access local variable 'c'
# UnboundLocalError: cannot access local variable 'c' where it is not associated with a value
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def h1(a, *, c=0.5):
    c *= 1
    v7 = 0.0
    return 2

def f(x, y):
    v8 = x
    return h1(np.linspace(0.0, 1.0, 4) * y['b']) + np.sum(v8)


ARGS = (np.array([0.699112918896601, -1.0191598809753222, 0.7937234956664481, 1.1388310336808825]), {'a': -1.0198503651425894, 'b': -0.8773048525653624},)
