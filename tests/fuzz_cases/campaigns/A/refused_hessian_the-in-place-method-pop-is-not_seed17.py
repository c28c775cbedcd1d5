# s2sad fuzz case (seed 17), shrunk: REFUSED:hessian:the in-place method .pop() is not
# /work/wt-d/s2sad/runtime.py:355: the in-place method .pop() is not supported by s2sad in unappend (see docs/limitations.md)
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    lst8 = [e for e in x]
    s9 = sum(lst8)
    return s9


ARGS = (np.array([0.8971944612745439, -0.881469962960322, 0.15013582315079943, -0.34299215167289476]), {'a': -0.7411508947394021, 'b': -0.29685750226808394},)
