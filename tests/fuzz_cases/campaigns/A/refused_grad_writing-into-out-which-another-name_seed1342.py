# s2sad fuzz case (seed 1342), shrunk: REFUSED:grad:writing into out, which another name
# /tmp/s2sad-fuzz-0uaswrtf/s2sad_fuzz_case_14235_3779.py:6: writing into out, which another name also holds (v12 = out): its derivative cannot follow the other holders (make a copy first: out = out.copy(), or build a new list) (see docs/limitations.md)
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    out = np.zeros(4)
    out[2] = 1.5
    v12 = out
    return 0


ARGS = (1.2768852933398984, np.array([0.49470384316505744, 0.1837126039907504, 1.155044705839572, 1.0687939909621826]),)
