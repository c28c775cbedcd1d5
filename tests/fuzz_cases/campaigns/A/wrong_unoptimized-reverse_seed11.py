# s2sad fuzz case (seed 11), shrunk: WRONG:unoptimized-reverse
# unoptimized-reverse: got [ 0.    0.    0.    0.    0.   -0.25], expected [0.   0.   0.   0.   0.   0.25]
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    s6 = (-0.5) ** 2 * y['b']
    return s6


ARGS = (np.array([-0.965717472800081, -0.0018775576557010787, 0.2638957298207294, -1.2254085782329442]), {'a': -0.9153921800986147, 'b': 1.1133486596969606},)
