# s2sad fuzz case (seed 0), shrunk: CRASH:grad:AttributeError: 'If' object has no attribute
# AttributeError: 'If' object has no attribute 'targets'
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    while 0.5 and 0.0:
        pass
    return 0.5


ARGS = (np.array([0.3561003870357813, -0.5985545442139372, -1.1934688377658937, -1.2570281476258245]), {'a': 0.8145026219207081, 'b': 1.0731645009220767},)
