# s2sad fuzz case (seed 1688), shrunk: CRASH:grad:IndexError: too many indices for array:
# IndexError: too many indices for array: array is 0-dimensional, but 1 were indexed
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    pos = x.copy()
    arr4 = x.copy()
    arr4[0:2] = pos[0:2]
    return arr4[3]


ARGS = (np.array([-0.3284067899630061, -1.0166680103139847, -0.46780322792800866, -0.278410947549502]), np.array([0.4558630756395883, 0.4516824331758482, 1.2150399271840258, -0.19038732696846727]),)
