# s2sad fuzz case (seed 4005056), shrunk: CRASH:grad:AttributeError: 'NoneType' object has no attribute
# AttributeError: 'NoneType' object has no attribute 'copy'
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def h1(a, b):
    k3 = 0
    while k3:
        if 1.5:
            arr9 = 0.5
            arr9[1] -= 0.5
            s10 = 0.5 if arr9 else 1.5
    return 0.5

def f(x, y):
    v19 = y
    d22 = {'p': 1, 'q': h1(0.5, v19)}
    s23 = d22['p']
    return s23


ARGS = (0.647830124026185, {'a': 0.30938057143084685, 'b': 0.017618861386681006},)
