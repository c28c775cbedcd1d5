# s2sad fuzz case (seed 13009), shrunk: CRASH:grad:NameError: name 'c' is not defined
# NameError: name 'c' is not defined
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def h1(a, *, c=0.5):
    return c

def f(x, y):
    return h1(y)


ARGS = (-0.030894639370086407, np.array([1.0565014274494688, 0.5354303706082528, 0.6146061416062087, -0.8657699217094278]),)
