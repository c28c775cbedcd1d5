# s2sad.source(newton_sqrt, mode='reverse', args=<float()>)  (tests/golden_cases.py)
# forward mode wrt p, specialized to p: float, tol: float (what grad runs for such arguments: one float differentiated, one forward pass; called with the tangent 1.0)
def newton_sqrt_jvp(p, tol=1e-12, p_dot=1.0):
    # d/dx of: x = p   (golden_cases.py:29)
    x = p
    x_dot = 1.0
    # d/dx of: while abs(x * x - p) > tol:   (golden_cases.py:30)
    x_times_x = x * x
    x_times_x_minus_p = x_times_x - p
    t1 = abs(x_times_x_minus_p)
    cond = t1 > tol
    while cond:
        # d/dx of: x = 0.5 * (x + p / x)   (golden_cases.py:31)
        p_over_x = p / x
        partial = -p_over_x / x
        p_over_x_dot = 1.0 / x + (x_dot * partial if x_dot and partial else times_partial_scalar(x_dot, partial))
        x = 0.5 * (x + p_over_x)
        x_dot = (x_dot + p_over_x_dot) * 0.5
        # d/dx of: while abs(x * x - p) > tol:   (golden_cases.py:30)
        x_times_x = x * x
        x_times_x_minus_p = x_times_x - p
        t1 = abs(x_times_x_minus_p)
        cond = t1 > tol
    return (x, x_dot)
