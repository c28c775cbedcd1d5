# s2sad fuzz case (seed 2533), shrunk: WRONG:unoptimized-reverse
# unoptimized-reverse: got [-0.   -0.25 -0.   -0.    0.  ], expected [0.   0.25 0.   0.   0.  ]
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    arr3 = (-0.5) ** 2 * x
    return arr3[1]


ARGS = (np.array([0.546911617237217, -0.48040733639517774, 0.10806568597023514, 1.0879790601935053]), 0.4035672458450723,)
