# fuzz seed 2013544: NOT an s2sad bug. The loop grows arr20 to 1.5e13 and the last line cancels it to O(1),
# so rounding moves f in steps of 2e-3 and central differences read d/dy = 0; s2sad's -3 is exact
# (complex step cannot run it: y is stored into a float array). The checker now calls it KINK:rounding.
import numpy as np


def f(x, y):
    arr20 = np.zeros(4)
    arr20[3] = y
    for i in range(4):
        arr20[3 - i] += np.cos(np.cos(1.5))
    n21 = int(2.0) + 1
    for j in range(n21):
        arr20 = arr20 - np.outer((1.5 * arr20)[:2], ((np.ones(4) * 1.5 * arr20[j]) ** 3)[2:]).reshape(4)
    arr20 = arr20 - arr20[i]
    return np.sum(arr20)


ARGS = (0.2103920784500528, -1.1723190184434444,)
