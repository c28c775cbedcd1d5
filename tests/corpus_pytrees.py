"""Namedtuples, dataclasses and plain objects holding arrays: the pytree corpus (issue 13).

Inputs come by argument name (see conftest.py): `layer` is a `Layer` namedtuple (W 3x4, b of
4, an activation name), `model` an `Affine` dataclass (W 2x3, b of 2, an int of steps) with
`__call__` and methods, `body` a `Body` object (pos, vel, a float mass and a name), `net` a
dict of two `Layer`s, `nest` a `Nest` namedtuple holding a tuple.
"""

import collections
import dataclasses

import numpy as np

Layer = collections.namedtuple("Layer", "W b act")
Nest = collections.namedtuple("Nest", "inner scale")
Pair = collections.namedtuple("Pair", "first second")


@dataclasses.dataclass
class Affine:
    """A model whose methods read self.W: differentiated with respect to the model itself."""

    W: np.ndarray
    b: np.ndarray
    steps: int = 2

    def __call__(self, a):
        return np.tanh(self.W @ a + self.b)

    def predict(self, a):
        h = a[:2]
        for _ in range(self.steps):
            h = self(np.concatenate([h, a[2:]])) * self.scale
        return h

    @property
    def scale(self):
        return 1.0 + 0.1 * np.sum(self.b * self.b)


class Body:
    """A plain object: attributes set in __init__."""

    def __init__(self, pos, vel, mass, name="body"):
        self.pos, self.vel, self.mass, self.name = pos, vel, mass, name


def namedtuple_field_reads(layer, a):
    return np.sum(np.tanh(a @ layer.W + layer.b))


def namedtuple_fields_and_items(layer, a):
    h = a @ layer[0]
    if layer.act == "tanh":
        h = np.tanh(h)
    return np.sum(h * layer.b) + layer[1][0] * layer.W[0, 0]


def namedtuple_output(a, x):
    return Pair(np.sin(a) * x, np.sum(a * a) * x)


def namedtuple_made_and_read(a, x):
    p = Pair(a * x, np.cos(x))
    return np.sum(p.first * p.second) + p[1]


def dataclass_called(model, a):
    return np.sum(model(a) ** 2)


def dataclass_method_and_property(model, a):
    return np.sum(model.predict(a)) + model.scale * model.steps


def object_attributes(body, x):
    acc = -body.pos / body.mass
    vel = body.vel + x * acc
    pos = body.pos + x * vel
    return np.sum(pos * pos) + 0.5 * body.mass * np.sum(vel * vel)


def dict_of_namedtuples(net, a):
    hidden = np.tanh(a @ net["hidden"].W + net["hidden"].b)
    return np.sum(hidden @ net["out"].W + net["out"].b)


def namedtuple_holding_a_tuple(nest, x):
    vec, weight = nest.inner
    return np.sum(np.sin(vec * x)) * weight + nest.scale ** 2


def loss_of_model(model, a):
    return mean_square(model, a) + 0.01 * np.sum(model.W ** 2)


def mean_square(model, a):
    return np.mean((model(a) - 0.5) ** 2)
