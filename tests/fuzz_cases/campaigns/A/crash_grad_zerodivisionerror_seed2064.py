# s2sad fuzz case (seed 2064), shrunk: CRASH:grad:ZeroDivisionError: integer modulo by zero
# ZeroDivisionError: integer modulo by zero
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    arr1 = x.copy()
    v4 = np.concatenate([arr1, arr1])
    return v4 if 0.0 else 2.0


ARGS = (np.array([0.39532581277341583, 0.9811383235127897, -0.26004404225605393, 0.3026315992444424]), np.array([-1.0250360402131509, -0.3842386086649987, 0.6320039424774206, 0.5279590238121739]),)
