# fuzz seed 300028 (--hessian): a restore was refused as held by a branch flag popped from the same tape
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    for i in range(4):
        if 0.5 <= 0.2:
            continue
            arr6 = 0.5
            arr6[1:3] = 0.5 if arr6 else 0.5
        if 0.5 and 0.5:
            return 0.5


ARGS = (0.8288140025978976, {'a': 0.7818843856501474, 'b': 0.8785742313697373},)
