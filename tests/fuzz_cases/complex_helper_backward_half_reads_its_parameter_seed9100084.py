# s2sad fuzz case (seed 9100084), shrunk: CRASH:grad:NameError: name 'a' is not defined
# NameError: name 'a' is not defined
# check: python -m s2sad.fuzz --file THIS_FILE
import collections
import dataclasses
import functools
import math
import numpy as np
import scipy.linalg
import scipy.special
import scipy.stats

def cplx1(a, b):
    return np.sum(np.real(np.fft.fft(np.roll(a, 1))))

def f(x, y):
    s4 = cplx1(y, 0.5)
    return s4


ARGS = (1.2648581627150721, np.array([-0.012426882429140473, 0.9327168490731228, -0.3864848484582196, 1.201839168822797]),)
