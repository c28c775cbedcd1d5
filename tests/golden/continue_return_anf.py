# s2sad.source(continue_and_return, stage='anf')  (tests/golden_cases.py)
def continue_and_return(x):
    continue_and_return = None
    _running = True
    total = 0.0
    _stop1 = False
    for i in range(6):
        _go1 = True
        i_mod_2 = i % 2
        i_mod_2_eq_1 = i_mod_2 == 1
        if i_mod_2_eq_1:
            _go1 = False
        if _go1:
            x_times_i = x * i
            sin_x_times_i = np.sin(x_times_i)
            total = total + sin_x_times_i
            t1 = total > 2.0
            if t1:
                continue_and_return = total * x
                _running = False
                _go1 = False
                _stop1 = True
        if _stop1:
            break
    if _running:
        continue_and_return = total
        _running = False
    return continue_and_return
