# s2sad.source(lecture_z, mode='forward', wrt=('x1', 'x2'))  (tests/golden_cases.py)
# forward mode wrt x1, x2, general
def lecture_z_jvp(x1, x2, x1_dot, x2_dot):
    # d/dx of: return x1 * x2 + np.sin(x1)   (golden_cases.py:13)
    x1_times_x2 = x1 * x2
    x1_times_x2_dot = x1_dot * x2 + x2_dot * x1
    sin_x1 = np.sin(x1)
    sin_x1_dot = x1_dot * np.cos(x1)
    lecture_z = x1_times_x2 + sin_x1
    lecture_z_dot = x1_times_x2_dot + sin_x1_dot
    return (lecture_z, lecture_z_dot)
