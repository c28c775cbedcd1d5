# s2sad fuzz case (seed 1467), shrunk: CRASH:jvp:TypeError: #.<locals>.#() missing # required positional
# TypeError: __s2sad_factory__.<locals>.h1_by_a_jvp() missing 1 required positional argument: 'a_dot'
# check: python -m s2sad.fuzz --file THIS_FILE
import math
import numpy as np

def h1(a, *, c=0.5):
    c = 1.5
    n1 = 0.5
    return (np.ones(4) * a[0]).reshape(2, 2).trace() + 0.5 * c + np.sum(a)

def f(x, y):
    s11 = h1(y)
    return s11


ARGS = (np.array([-0.4632406260018177, 1.0750562741270213, -0.7040614149940305, 1.2327444262532368]), np.array([1.2731909284711425, 0.14904976685248195, 0.40842643356603103, -0.9513848116262815]),)
