# s2sad.source(branches, mode='reverse', wrt=('x', 'y'), optimize=False)  (tests/golden_cases.py)
# reverse mode wrt x, y, unoptimized, general (grad runs a variant specialized to its arguments: source(f, args=...))
def branches_vjp(x, y, branches_bar=1.0):
    z = None
    x_gt_y = x > y
    if x_gt_y:
        _z_old = z
        z = x * y
    else:
        t1 = x > 0.5
        if t1:
            _z_old_1 = z
            z = np.exp(x)
        else:
            _z_old_2 = z
            z = y / x
    branches = z * z
    # d/dx of: return z * z   (golden_cases.py:62)
    z_bar = unbroadcast(branches_bar * z, z) * 2.0
    # d/dx of: if x > y:   (golden_cases.py:56)
    if x_gt_y:
        # d/dx of: z = x * y   (golden_cases.py:57)
        x_bar = unbroadcast(z_bar * y, x)
        y_bar = unbroadcast(z_bar * x, y)
        z = _z_old
    else:
        # d/dx of: elif x > 0.5:   (golden_cases.py:58)
        if t1:
            # d/dx of: z = np.exp(x)   (golden_cases.py:59)
            x_bar = z_bar * z
            z = _z_old_1
            y_bar = 0.0
        else:
            # d/dx of: z = y / x   (golden_cases.py:61)
            y_bar = unbroadcast(times_partial(z_bar, 1.0 / x), y)
            x_bar = unbroadcast(times_partial(z_bar, -z / x), x)
            z = _z_old_2
    return (x_bar, y_bar)
