# s2sad fuzz case (seed 11311), shrunk: CRASH:grad:IndexError: pop from empty list
# IndexError: pop from empty list
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    for i in range(3):
        lst7 = [e for e in x]
        s8 = lst7[1]
        for e in x:
            break
        s10, s5 = (0.5, s8)
    return s5


ARGS = (np.array([1.2081863087816005, 1.0111294848351131, 0.4673918756142472, -1.2223109815131457]), np.array([1.1420214034135683, 0.4083114747870118, -1.2423618639639964, 1.0738805971673682]),)
