# s2sad fuzz case (seed 12502), shrunk: CRASH:grad:AttributeError: 'If' object has no attribute
# AttributeError: 'If' object has no attribute 'targets'
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    while 0.5 and 2 <= 0.5:
        pass
    return 0.25


ARGS = (np.array([0.5611859013354148, -1.1537762143004977, -0.016681740704285852, -0.7019524211820103]), -1.2850521574257938,)
