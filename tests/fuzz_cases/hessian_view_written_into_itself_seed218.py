# fuzz seed 218 (--hessian): `arr[1:3] = arr[1:3]`; the generated code reads the view it wrote only for its
# shape (item_bar), which the view check of the Hessian took for a read of its values and refused
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    arr4 = x.copy()
    arr5 = arr4
    arr5[1:3] = arr5[1:3]
    v6 = arr4
    return v6[3]


ARGS = (np.array([1.2492841909449723, 0.2551838318684534, 0.7773116205399091, 0.3569158858604584]), -0.8848764163600816,)
