# s2sad fuzz case (seed 12009), shrunk: CRASH:grad:ValueError: not enough values to unpack
# ValueError: not enough values to unpack (expected 5, got 4)
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    for i in range(3):
        lst19 = [e for e in x]
        s20 = sum(lst19) * 0.5
        s8 = 0.7 - s20
    return s8


ARGS = (np.array([0.0027108463577556474, -0.15984580001267945, -1.048922079180889, 0.25374123749762245]), -1.1187849670606869,)
