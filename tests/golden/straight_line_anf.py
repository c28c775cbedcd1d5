# s2sad.source(lecture_z, stage='anf')  (tests/golden_cases.py)
def lecture_z(x1, x2):
    x1_times_x2 = x1 * x2
    sin_x1 = np.sin(x1)
    lecture_z = x1_times_x2 + sin_x1
    return lecture_z
