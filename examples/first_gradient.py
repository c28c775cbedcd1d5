"""The lecture's first example: z = x1*x2 + sin(x1), its gradient and the code s2sad writes for it."""

import numpy as np

import s2sad


def z(x1, x2):
    return x1 * x2 + np.sin(x1)


if __name__ == "__main__":
    dz_dx1, dz_dx2 = s2sad.grad(z, wrt=("x1", "x2"))(2.0, 3.0)
    print(f"z(2, 3) = {z(2.0, 3.0):.6f}")
    print(f"dz/dx1 = {dz_dx1:.6f}   (x2 + cos x1 = {3.0 + np.cos(2.0):.6f})")
    print(f"dz/dx2 = {dz_dx2:.6f}   (x1 = 2)")
    print()
    print("Normalized (A-normal form):")
    print(s2sad.source(z, stage="anf"))
    print("Forward mode:")
    print(s2sad.source(z, mode="forward", wrt=("x1", "x2")))
    print("Reverse mode:")
    print(s2sad.source(z, mode="reverse", wrt=("x1", "x2")))
