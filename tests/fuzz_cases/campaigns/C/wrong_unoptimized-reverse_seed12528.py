# s2sad fuzz case (seed 12528), shrunk: WRONG:unoptimized-reverse
# unoptimized-reverse: got [0.       0.       1.769816 0.       0.      ], expected [-0.       -0.       -1.769816 -0.        0.      ]
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    d3 = {'p': 3, 'q': (-1.5) ** 2 / np.max(x)}
    s4 = d3['q']
    return s4


ARGS = (np.array([-0.26286271085570334, 0.34238156839761236, 1.1275277236123735, -1.2216073716392162]), 1.2891104727316944,)
