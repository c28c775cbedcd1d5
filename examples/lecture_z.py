"""The lecture's graph example, z = x1*x2 + sin(x1): forward and reverse mode side by side.

Forward mode (JVP) pushes a tangent (x1_dot, x2_dot) through the program alongside the values:
one pass gives one directional derivative. Reverse mode (VJP) runs the program, then pulls the
output's adjoint z_bar back through it in reverse order: one pass gives the whole gradient.

    python examples/lecture_z.py
"""

import numpy as np

import s2sad


def z(x1, x2):
    return x1 * x2 + np.sin(x1)


def code_only(source):
    """The source without its comment lines (they say which line of z each block comes from)."""
    return "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("#"))


def side_by_side(left, right, titles, gap=4):
    """Two blocks of text in columns, for reading the two modes line against line."""
    left, right = left.rstrip().splitlines(), right.rstrip().splitlines()
    width = max(len(line) for line in left + [titles[0]])
    rows = [f"{titles[0]:<{width}}{' ' * gap}{titles[1]}", f"{'-' * width}{' ' * gap}{'-' * len(titles[1])}"]
    for i in range(max(len(left), len(right))):
        a = left[i] if i < len(left) else ""
        b = right[i] if i < len(right) else ""
        rows.append(f"{a:<{width}}{' ' * gap}{b}".rstrip())
    return "\n".join(rows)


if __name__ == "__main__":
    x1, x2 = 2.0, 3.0
    print(f"z(x1, x2) = x1*x2 + sin(x1) at (x1, x2) = ({x1}, {x2}): z = {z(x1, x2):.6f}")
    print()

    # Forward mode: one pass per input direction.
    _, dz_dx1 = s2sad.jvp(z, (x1, x2), (1.0, 0.0))
    _, dz_dx2 = s2sad.jvp(z, (x1, x2), (0.0, 1.0))
    print(f"forward, seed (1, 0):  dz/dx1 = {dz_dx1:.6f}   (x2 + cos x1 = {x2 + np.cos(x1):.6f})")
    print(f"forward, seed (0, 1):  dz/dx2 = {dz_dx2:.6f}   (x1 = {x1})")

    # Reverse mode: one pass for the whole gradient.
    g1, g2 = s2sad.grad(z, wrt=("x1", "x2"))(x1, x2)
    print(f"reverse, z_bar = 1:    gradient = ({g1:.6f}, {g2:.6f})")
    print()

    forward = s2sad.source(z, mode="forward", wrt=("x1", "x2"))
    reverse = s2sad.source(z, mode="reverse", wrt=("x1", "x2"))
    print(side_by_side(code_only(forward), code_only(reverse), ("forward mode (JVP)", "reverse mode (VJP)")))
