"""The logistic map from the lecture: differentiating through a loop.

    v = x;  repeat n times:  v = 4 v (1 - v)

By the chain rule dv_n/dx is the product of the step derivatives 4 - 8 v_k along the
trajectory. Reverse mode needs those v_k on the way back, so the generated code records
them on a tape in the forward sweep and pops them in the backward sweep. The map is
chaotic (its Lyapunov exponent is ln 2), so the derivative grows like 2^n: forward and
reverse mode keep agreeing to rounding, while finite differences fall apart.

    python examples/logistic_map.py
"""

import s2sad


def logistic(x, n):
    v = x
    for _ in range(n):
        v = 4.0 * v * (1.0 - v)
    return v


def by_hand(x, n):
    """dv_n/dx as the product of the step derivatives along the trajectory."""
    v, d = x, 1.0
    for _ in range(n):
        d = d * (4.0 - 8.0 * v)
        v = 4.0 * v * (1.0 - v)
    return d


def central_difference(f, x, n, h=1e-7):
    return (f(x + h, n) - f(x - h, n)) / (2 * h)


if __name__ == "__main__":
    x = 0.3
    dlogistic = s2sad.grad(logistic)  # with respect to x; n is an int and never differentiated
    print(f"n = 3 (the lecture's loop), x = {x}:  dv/dx = {dlogistic(x, 3):.10f}   by hand {by_hand(x, 3):.10f}")
    print()
    print("The reverse-mode code s2sad writes (the tape keeps v for the backward sweep):")
    print(s2sad.source(logistic, mode="reverse"))

    print(f"{'n':>3} {'reverse':>22} {'forward':>22} {'by hand':>22} {'finite difference':>22}")
    for n in (1, 5, 10, 20, 30, 40):
        reverse = dlogistic(x, n)
        _, forward = s2sad.jvp(logistic, (x, n), (1.0, None))
        print(f"{n:>3} {reverse:>22.10g} {forward:>22.10g} {by_hand(x, n):>22.10g} "
              f"{central_difference(logistic, x, n):>22.10g}")
