"""Corpus: programs that call their own helper functions (issue: real programs).

Each calls user-defined functions: in the same module, in another module, several
times, nested three deep, with keywords and defaults, as methods of an outside object,
through closures and through `@s2sad.differentiate`. The helpers (leading underscore)
are not corpus entries themselves; test_corpus collects the public functions only.
"""

import math

import numpy as np

import s2sad

import corpus_basic as other_module


def _square(z):
    return z * z


def _affine(z, scale=2.0, shift=0.5):
    return scale * z + shift


def _poly(z, a=1.5):
    return a * _square(z) + np.sin(z)


def _level3(z):
    return np.exp(-_square(z))


def _level2(z):
    return _level3(z) * z + _square(z)


def _level1(z, w):
    return _level2(z * w) + _level2(w)


def _softplus(v):
    return np.log1p(np.exp(v))


def _logsumexp(v):
    top = np.max(v)
    return top + np.log(np.sum(np.exp(v - top)))


def _softmax(v):
    return np.exp(v - _logsumexp(v))


def _cross_entropy(p, k):
    return -np.log(p[k])


def _dense(M, v, c):
    return np.tanh(M @ v + c)


def _norm2(v):
    return np.sum(v * v)


def _rk_step(y, t, h):
    k1 = _rhs(y, t)
    k2 = _rhs(y + 0.5 * h * k1, t + 0.5 * h)
    return y + h * k2


def _rhs(y, t):
    return -y + math.sin(t) * y * y


def _both(z, w):
    return z * w, z + w


def _pick(z, flag):
    if flag:
        return z * z
    return 3.0 * z


class _Model:
    def __init__(self, weight, bias):
        self.weight = weight
        self.bias = bias

    def predict(self, x):
        return np.tanh(self.weight * x + self.bias)

    def loss(self, x, target):
        return (self.predict(x) - target) ** 2


_MODEL = _Model(0.8, -0.1)


def _make_scaler(c):
    def scale(z):
        return c * np.sin(z)
    return scale


_scale = _make_scaler(2.5)


@s2sad.differentiate
def _decorated(z):
    return np.exp(z) * z


def calls_a_helper(x):
    return _square(x) + 1.0


def calls_a_helper_twice(x, y):
    return _square(x) * _square(y)


def helper_of_a_helper_result(x):
    return _square(_square(x))


def helper_with_default(x):
    return _poly(x)


def helper_with_keyword(x, y):
    return _poly(x, a=y)


def helper_with_keyword_order(x, y):
    return _affine(shift=y, z=x)


def helper_three_deep(x, y):
    return _level1(x, y)


def helper_from_another_module(x, y):
    return other_module.lecture_z(x, y) * 2.0


def helper_in_a_loop(x, n):
    s = x
    for i in range(n):
        s = _poly(s) * 0.5
    return s


def helper_in_a_while_loop(x):
    s = x
    k = 0
    while k < 4:
        s = s + _softplus(s * 0.3)
        k = k + 1
    return s


def helper_in_a_branch(x):
    if x > 0.5:
        y = _square(x)
    else:
        y = _softplus(x)
    return y


def helper_with_a_branch(x):
    return _pick(x, True) + _pick(x, False)


def helper_returning_a_tuple(x, y):
    u, v = _both(x, y)
    return u * v


def helper_on_arrays(a, b):
    return _norm2(a - b)


def softmax_cross_entropy(a):
    p = _softmax(a)
    return _cross_entropy(p, 1)


def logsumexp_helper(a):
    return _logsumexp(a * 2.0)


def mlp_with_helpers(M, N, a, b):
    hidden = _dense(M, a, b)
    out = _dense(N, hidden, 0.0)
    return _norm2(out)


def rk_with_helpers(x):
    y = x
    t = 0.0
    for i in range(10):
        y = _rk_step(y, t, 0.1)
        t = t + 0.1
    return y


def method_of_outside_object(x):
    return _MODEL.predict(x) * 2.0


def method_calling_a_method(x, y):
    return _MODEL.loss(x, y)


def closure_helper(x):
    return _scale(x) ** 2


def decorated_helper(x):
    return _decorated(x) + x


def helper_result_reused(x):
    u = _square(x)
    v = u * x
    u = _square(v)
    return u + v


def helper_on_inactive_and_active(x, n):
    k = _affine(float(n))
    return _square(x) * k


class _Spring:
    def __init__(self, k):
        self.k = k

    def energy(self, x, rest=1.0):
        return 0.5 * self.k * (x - rest) ** 2

    def force_on(self, x, y):
        return self.energy(x) * y


def method_of_an_object_made_inside(x, y):
    spring = _Spring(3.0)
    return spring.energy(x) + spring.force_on(x, y)


def method_of_an_object_made_inside_a_loop(x, n):
    s = x
    for i in range(n):
        spring = _Spring(float(i + 1))
        s = s + 0.1 * spring.energy(s)
    return s


def nested_def_reading_outer_values(x, y):
    def bump(z):
        return z * z * y + np.sin(z)
    return bump(x) + bump(2.0 * x)


def lambda_helper(x):
    cube = lambda z: z * z * z  # noqa: E731
    return cube(x) + cube(x + 1.0)


def nested_def_in_a_loop(x, n):
    c = 0.5

    def step(v):
        return v + c * np.sin(v)
    s = x
    for i in range(n):
        s = step(s)
        c = c * 0.9
    return s
