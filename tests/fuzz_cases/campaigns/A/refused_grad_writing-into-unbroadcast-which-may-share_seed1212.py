# s2sad fuzz case (seed 1212), shrunk: REFUSED:grad:writing into unbroadcast, which may share
# /tmp/s2sad-fuzz-0uaswrtf/s2sad_fuzz_case_14235_3532.py:7: writing into unbroadcast, which may share memory with another value (a view, or an outside object's array): its derivative cannot follow the other holders (make a copy first: unbroadcast = unbroadcast.copy(), or build a new list) (see docs/li
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    arr15 = x.copy()
    unbroadcast = arr15
    unbroadcast[0] = 0.5
    return 0.5


ARGS = (np.array([-0.5578441572841226, 0.6636984676665492, -0.6693856602233323, -0.5391662292885396]), np.array([0.9026033731991132, -0.6456918377354771, 0.25855370639682795, -0.3360388132225256]),)
