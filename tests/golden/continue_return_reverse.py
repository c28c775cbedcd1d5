# s2sad.source(continue_and_return, mode='reverse')  (tests/golden_cases.py)
# reverse mode wrt x, general (grad runs a variant specialized to its arguments: source(f, args=...))
def continue_and_return_vjp(x, continue_and_return_bar=1.0):
    i_mod_2_eq_1 = None
    t1 = None
    _tape = []
    _running = True
    total = 0.0
    _stop1 = False
    _trips1 = 0
    for i in range(6):
        _trips1 = _trips1 + 1
        _go1 = True
        i_mod_2 = i % 2
        push(_tape, i_mod_2_eq_1)
        i_mod_2_eq_1 = i_mod_2 == 1
        if i_mod_2_eq_1:
            _go1 = False
        _branch1 = _go1
        if _branch1:
            x_times_i = x * i
            sin_x_times_i = np.sin(x_times_i)
            push(_tape, total)
            total = total + sin_x_times_i
            push(_tape, t1)
            t1 = total > 2.0
            if t1:
                _running = False
                _stop1 = True
        push(_tape, _branch1)
        if _stop1:
            break
    # d/dx of: return total   (golden_cases.py:52)
    if _running:
        total_bar = continue_and_return_bar
        continue_and_return_bar = 0.0
    else:
        total_bar = 0.0
    # d/dx of: for i in range(6):   (golden_cases.py:46)
    x_bar = 0.0
    for i in reversed(range(6)[:_trips1]):
        # d/dx of: total = total + np.sin(x * i)   (golden_cases.py:49)
        _branch1 = pop(_tape)
        if _branch1:
            # d/dx of: if total > 2.0:   (golden_cases.py:50)
            if t1:
                # d/dx of: return total * x   (golden_cases.py:51)
                total_bar = total_bar + unbroadcast(continue_and_return_bar * x, total)
                x_bar = x_bar + unbroadcast(continue_and_return_bar * total, x)
                continue_and_return_bar = 0.0
            t1 = pop(_tape)
            # d/dx of: total = total + np.sin(x * i)   (golden_cases.py:49)
            total = pop(_tape)
            x_times_i = x * i
            sin_x_times_i = np.sin(x_times_i)
            sin_x_times_i_bar = unbroadcast(total_bar, sin_x_times_i)
            total_bar = unbroadcast(total_bar, total)
            x_times_i_bar = sin_x_times_i_bar * np.cos(x_times_i)
            x_bar = x_bar + unbroadcast(x_times_i_bar * i, x)
        # d/dx of: if i % 2 == 1:   (golden_cases.py:47)
        i_mod_2_eq_1 = pop(_tape)
    return x_bar
