# s2sad.source(logistic, mode='forward')  (tests/golden_cases.py)
# forward mode wrt x, general
def logistic_jvp(x, n, x_dot):
    # d/dx of: v = x   (golden_cases.py:22)
    v = x
    v_dot = x_dot
    # d/dx of: for _ in range(n):   (golden_cases.py:23)
    for _ in range(n):
        # d/dx of: v = 4.0 * v * (1.0 - v)   (golden_cases.py:24)
        t1 = 4.0 * v
        t1_dot = v_dot * 4.0
        t2 = 1.0 - v
        t2_dot = -v_dot
        v = t1 * t2
        v_dot = t1_dot * t2 + t2_dot * t1
    return (v, v_dot)
