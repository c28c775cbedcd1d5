# s2sad.source(lecture_z, mode='reverse', wrt=('x1', 'x2'))  (tests/golden_cases.py)
# reverse mode wrt x1, x2, general (grad runs a variant specialized to its arguments: source(f, args=...))
def lecture_z_vjp(x1, x2, lecture_z_bar=1.0):
    x1_times_x2 = x1 * x2
    sin_x1 = np.sin(x1)
    # d/dx of: return x1 * x2 + np.sin(x1)   (golden_cases.py:13)
    x1_times_x2_bar = unbroadcast(lecture_z_bar, x1_times_x2)
    sin_x1_bar = unbroadcast(lecture_z_bar, sin_x1)
    x1_bar = sin_x1_bar * np.cos(x1) + unbroadcast(x1_times_x2_bar * x2, x1)
    x2_bar = unbroadcast(x1_times_x2_bar * x1, x2)
    return (x1_bar, x2_bar)
