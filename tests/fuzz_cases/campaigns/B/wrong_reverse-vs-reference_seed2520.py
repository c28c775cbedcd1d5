# s2sad fuzz case (seed 2520), shrunk: WRONG:reverse-vs-reference
# reverse-vs-reference: got [ 0.171001 -0.343152  0.113826 -0.625997  0.        0.      ], expected [ 0.115098 -0.230971  0.076615 -0.421349  0.        0.      ]
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def f(x, y):
    arr1 = np.zeros(4)
    for i in range(4):
        arr1[3 - i] += np.linalg.norm(x)
    arr2 = np.zeros(4)
    arr2[3] -= 0.5
    for i in range(4):
        arr2[3 - i] *= arr1[2]
    return arr2[3]


ARGS = (np.array([-0.3420025011008586, 0.6863040578044386, -0.22765203157843672, 1.2519935509442213]), {'a': 0.44218428023045364, 'b': -1.2936186614111518},)
