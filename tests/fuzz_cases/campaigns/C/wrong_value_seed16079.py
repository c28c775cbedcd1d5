# s2sad fuzz case (seed 16079), shrunk: WRONG:value
# value: got -0.974745, expected 0.25
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    lst2 = []
    lst2.append((-1.5) ** 0.5)
    s3 = np.sum(lst2)
    return min(0.25, 2) + s3


ARGS = (np.array([-0.45917204117240196, 1.1025080106240848, -0.24654123216565194, 0.6848404386167164]), np.array([0.5104855745210557, -0.38788041068459556, 0.15793127408892715, -0.928955854614373]),)
