# s2sad fuzz case (seed 306), shrunk: REFUSED:grad:writing into #, which another name
# /tmp/s2sad-fuzz-0uaswrtf/s2sad_fuzz_case_14235_1514.py:6: writing into arr7, which another name also holds (v15 = arr7): its derivative cannot follow the other holders (make a copy first: arr7 = arr7.copy(), or build a new list) (see docs/limitations.md)
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    arr7 = x.copy()
    arr7[2] += 0.5
    v15 = arr7
    return 2


ARGS = (np.array([-1.1489642852639685, -0.5178104163069673, -0.9130655098857698, 0.9349205711732329]), 1.2214243525254809,)
