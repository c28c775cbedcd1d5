# s2sad fuzz case (seed 2046), shrunk: CRASH:grad:ValueError: assignment destination is read-only
# ValueError: assignment destination is read-only
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    v9 = x - x[0]
    for i in range(2):
        d11 = x
    return np.sum(v9)


ARGS = (np.array([-0.20029107149354108, -1.2058546219801005, 0.020781357884063656, 0.9906580077262197]), {'a': 1.2334900329650165, 'b': -1.1571159074514932},)
