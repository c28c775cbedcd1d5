# fuzz seeds 4785, 5239, 6762, 9649...: reshape, ravel, reshape again: grad raises ValueError: cannot reshape array of size 4 into shape ()
import numpy as np


def f(x, y):
    return x.reshape(2, 2).ravel().reshape(2, 2).sum() * y


ARGS = (np.array([0.3313807677877547, -0.9381101861840708, 1.081793010930295, 0.16667779177506792]), 0.5)
