# s2sad.source(branches, mode='forward', wrt=('x', 'y'))  (tests/golden_cases.py)
# forward mode wrt x, y, general
def branches_jvp(x, y, x_dot, y_dot):
    # d/dx of: if x > y:   (golden_cases.py:56)
    x_gt_y = x > y
    if x_gt_y:
        # d/dx of: z = x * y   (golden_cases.py:57)
        z = x * y
        z_dot = x_dot * y + y_dot * x
    else:
        # d/dx of: elif x > 0.5:   (golden_cases.py:58)
        t1 = x > 0.5
        if t1:
            # d/dx of: z = np.exp(x)   (golden_cases.py:59)
            z = np.exp(x)
            z_dot = x_dot * z
        else:
            # d/dx of: z = y / x   (golden_cases.py:61)
            z = y / x
            z_dot = times_partial(y_dot, 1.0 / x) + times_partial(x_dot, -z / x)
    # d/dx of: return z * z   (golden_cases.py:62)
    branches = z * z
    branches_dot = z_dot * z + z_dot * z
    return (branches, branches_dot)
