# s2sad fuzz case (seed 2552), shrunk: REFUSED:grad:writing into #, which another name
# /tmp/s2sad-fuzz-otokmbte/s2sad_fuzz_case_20777_760.py:6: writing into arr9, which another name also holds (v10 = arr9): its derivative cannot follow the other holders (make a copy first: arr9 = arr9.copy(), or build a new list) (see docs/limitations.md)
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    arr9 = np.ones(4)
    arr9[1] = 0.5
    v10 = arr9
    return 0.5


ARGS = (-1.0170656751082563, np.array([0.48738546283225204, 0.5513772451462617, -0.9474971676903146, -0.3387960077303368]),)
