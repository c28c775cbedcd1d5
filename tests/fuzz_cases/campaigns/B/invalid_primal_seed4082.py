# s2sad fuzz case (seed 4082), shrunk: INVALID:primal
# TypeError: float() argument must be a string or a real number, not 'NoneType'
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    pass


ARGS = (0.3806023911510379, 0.4957675516111262,)
