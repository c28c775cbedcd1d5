# s2sad fuzz case (seed 1811), shrunk: REFUSED:grad:writing into y_dot, which may share
# /tmp/s2sad-fuzz-0uaswrtf/s2sad_fuzz_case_14235_5310.py:7: writing into y_dot, which may share memory with another value (a view, or an outside object's array): its derivative cannot follow the other holders (make a copy first: y_dot = y_dot.copy(), or build a new list) (see docs/limitations.md)
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    arr5 = np.ones(4)
    y_dot = arr5
    y_dot[1] = 0
    return 0.5


ARGS = (np.array([-0.48940716150449215, 0.9519929064699373, 0.5698091532298566, -0.13941084514412228]), np.array([-0.11532474833035966, -0.2473626770320243, -0.2634681567935475, -0.9364960265769434]),)
