# fuzz seed 300036 (--hessian): a restore into a dict popped from the tape was refused (the pop was taken to hold any value pushed)
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    for i in range(4):
        d6 = {'p': x, 'q': 0.5}
        d6['p'] = 0.5
        s7 = d6['q']
        return s7


ARGS = (1.138418920065505, {'a': 1.148198163991338, 'b': 0.2743394078816517},)
