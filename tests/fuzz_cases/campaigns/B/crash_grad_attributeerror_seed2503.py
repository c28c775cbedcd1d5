# s2sad fuzz case (seed 2503), shrunk: CRASH:grad:AttributeError: 'If' object has no attribute
# AttributeError: 'If' object has no attribute 'targets'
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    while (0.5 if 1 else 0.5) <= 0.0:
        pass
    return 0.5


ARGS = (np.array([-0.7373601473825195, 0.7002318806809906, 0.33728964528249783, -0.9003409460510502]), {'a': 1.0746338978830583, 'b': 0.7888625013028132},)
