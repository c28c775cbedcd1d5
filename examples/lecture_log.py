"""The textbook trace example: y = log(x1) + x1*x2 - sin(x2) at (x1, x2) = (2, 5).

The lecture evaluates it by hand as a list of elementary steps (the A-normal form s2sad
prints below), then pushes a tangent forward (x1_dot = 1, x2_dot = 0 gives y_dot = 5.5)
and pulls an adjoint back (y_bar = 1 gives the gradient (5.5, 2 - cos 5) = (5.5, 1.716)).

    python examples/lecture_log.py
"""

import math

import s2sad


def y(x1, x2):
    return math.log(x1) + x1 * x2 - math.sin(x2)


if __name__ == "__main__":
    x1, x2 = 2.0, 5.0
    print(f"y(2, 5) = log 2 + 10 - sin 5 = {y(x1, x2):.4f}")
    print()
    print("The elementary steps (A-normal form):")
    print(s2sad.source(y, stage="anf"))

    value, tangent = s2sad.jvp(y, (x1, x2), (1.0, 0.0))
    print(f"forward mode, (x1_dot, x2_dot) = (1, 0):  y_dot = {tangent:.4f}   (1/x1 + x2 = 5.5)")
    g1, g2 = s2sad.grad(y, wrt=(0, 1))(x1, x2)
    print(f"reverse mode, y_bar = 1:  (x1_bar, x2_bar) = ({g1:.4f}, {g2:.4f})"
          f"   (5.5, 2 - cos 5 = {2 - math.cos(5):.4f})")
    print()
    print("Forward mode code:")
    print(s2sad.source(y, mode="forward", wrt=(0, 1)))
    print("Reverse mode code:")
    print(s2sad.source(y, mode="reverse", wrt=(0, 1)))
