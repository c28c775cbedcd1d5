# s2sad.source(newton_sqrt, mode='reverse')  (tests/golden_cases.py)
# reverse mode wrt p, general (grad runs a variant specialized to its arguments: source(f, args=...))
def newton_sqrt_vjp(p, tol=1e-12, x_bar=1.0):
    _tape = []
    x = p
    x_times_x = x * x
    x_times_x_minus_p = x_times_x - p
    t1 = abs(x_times_x_minus_p)
    cond = t1 > tol
    _trips1 = 0
    while cond:
        _trips1 = _trips1 + 1
        p_over_x = p / x
        x_plus_p_over_x = x + p_over_x
        push(_tape, x)
        x = 0.5 * x_plus_p_over_x
        x_times_x = x * x
        x_times_x_minus_p = x_times_x - p
        t1 = abs(x_times_x_minus_p)
        cond = t1 > tol
    # d/dx of: while abs(x * x - p) > tol:   (golden_cases.py:30)
    p_bar = 0.0
    for _ in range(_trips1):
        # d/dx of: x = 0.5 * (x + p / x)   (golden_cases.py:31)
        x = pop(_tape)
        p_over_x = p / x
        x_plus_p_over_x = x + p_over_x
        x_plus_p_over_x_bar = unbroadcast(x_bar * 0.5, x_plus_p_over_x)
        x_bar = unbroadcast(x_plus_p_over_x_bar, x)
        p_over_x_bar = unbroadcast(x_plus_p_over_x_bar, p_over_x)
        p_bar = p_bar + unbroadcast(times_partial(p_over_x_bar, 1.0 / x), p)
        x_bar = x_bar + unbroadcast(times_partial(p_over_x_bar, -p_over_x / x), x)
    # d/dx of: x = p   (golden_cases.py:29)
    p_bar = p_bar + x_bar
    return p_bar
