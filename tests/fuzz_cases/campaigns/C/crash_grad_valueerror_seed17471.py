# s2sad fuzz case (seed 17471), shrunk: CRASH:grad:ValueError: not enough values to unpack
# ValueError: not enough values to unpack (expected 5, got 4)
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    v1 = np.linspace(0.0, 1.0, 4)
    s4 = 0.5
    for e in v1:
        lst5 = [e for e in y]
        s6 = np.sum(np.array(lst5))
        s4 += s6
    return s4


ARGS = (np.array([-0.20005881506569878, -0.6012341002246561, 0.6158540248184414, -0.400098536398831]), np.array([1.1228745055235605, -0.5432724797060722, 0.6002502733684365, 0.42475067933369437]),)
