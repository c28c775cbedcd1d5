"""Straight-line functions of floats and arrays: the compiler core's corpus."""

import math

import numpy as np

K = 2.5


def lecture_z(x1, x2):
    return x1 * x2 + np.sin(x1)


def lecture_y(p1, p2):
    return np.log(p1) + p1 * p2 - np.sin(p2)


def lecture_pair(x, y):
    return x * y, y ** 3


def add_sub(x, y):
    return x + y - 2.0 * x


def divide(x, y):
    return x / (y + 1.0)


def power_const(x):
    return x ** 3 - 2 * x ** 2


def power_var(p, q):
    return p ** q


def rpow(x):
    return 2.0 ** x


def neg_chain(x):
    return -(-x) * -x


def reuse(x):
    y = x * x
    y = y * x + y
    return y


def reassign_param(x, y):
    s = np.sin(x)
    x = x * y
    return s + x


def math_functions(x, y):
    return math.sin(x) * math.cos(y) + math.tan(x) + math.exp(-y) + math.log(1 + x) + math.sqrt(y) + math.tanh(x)


def math_pow_atan2(x, y):
    return math.pow(x + 1.0, y) + math.atan2(y, x)


def numpy_twins(x, y):
    return np.tanh(x) + np.exp(y) * np.sqrt(x) + np.arctan2(x, y) + np.tan(y) - np.cos(x)


def abs_value(x, y):
    return abs(x - 1.0) * abs(y)


def global_constant(x):
    return K * x * x


def kwarg_default(x, scale=3.0):
    return scale * np.sin(x)


def vector_sum(a):
    return np.sum(a * a)


def vector_mean(a, b):
    return np.mean(a * b + np.exp(a))


def broadcast_scalar(a, x):
    return np.sum(a * x + x)


def dot_product(a, b):
    return np.dot(a, b)


def matvec(M, a):
    return np.sum(np.tanh(M @ a))


def matmul_fn(M, N):
    return np.sum(np.matmul(M, N) ** 2)


def transpose_fn(M):
    return np.sum(M.T * np.arange(9.0).reshape(3, 3))


def reshape_fn(M):
    return np.sum(np.reshape(M, (9,)) * np.arange(9.0))


def method_calls(M):
    return M.sum() + (M * M).mean() + M.dot(M).sum()


def axis_sum(X):
    return np.sum(np.sum(X * X, axis=0) ** 2)


def broadcast_rows(X, a):
    return np.sum((X - a) ** 2)


def tuple_return(x, y):
    return x * y, np.sin(x) + y


def array_return(a, x):
    return a * x + np.cos(a)


def ifexp(x, y):
    return x * y if x > y else x + y


def chained(x, y):
    return np.sin(x) * 2.0 if 0.0 < x < 1.0 else y


def boolean(x, y):
    return x * y if x > 0.1 and y > 0.1 else x - y
