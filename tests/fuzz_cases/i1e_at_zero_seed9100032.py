# s2sad fuzz case (seed 9100032), shrunk: WRONG:reverse-vs-reference
# reverse-vs-reference: got [ 0.  0.  0.  0. nan  0.], expected [0.       0.       0.       0.       0.432961 0.      ]
# check: python -m s2sad.fuzz --file THIS_FILE
import collections
import dataclasses
import functools
import math
import numpy as np
import scipy.linalg
import scipy.special
import scipy.stats

@dataclasses.dataclass
class Box:
    w: 0.5
    b: 0.5

def f(x, y):
    s14 = np.sum(scipy.special.i1e(np.linspace(0.0, 1.0, 4) * y.w[2]))
    return s14


ARGS = (1.2492654200209146, Box(w=np.array([-0.43934523913367673, 0.9439358587059499, 0.5436147887923284, -0.6659865588333719]), b=0.08032738043316162),)
