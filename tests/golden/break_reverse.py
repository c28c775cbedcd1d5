# s2sad.source(break_threshold, mode='reverse')  (tests/golden_cases.py)
# reverse mode wrt x, general (grad runs a variant specialized to its arguments: source(f, args=...))
def break_threshold_vjp(x, total_bar=1.0):
    t1 = None
    _tape = []
    total = 0.0
    _stop1 = False
    _trips1 = 0
    for i in range(10):
        _trips1 = _trips1 + 1
        x_times_i = x * i
        push(_tape, total)
        total = total + x_times_i
        push(_tape, t1)
        t1 = total > 5.0
        if t1:
            _stop1 = True
        if _stop1:
            break
    # d/dx of: for i in range(10):   (golden_cases.py:37)
    x_bar = 0.0
    for i in reversed(range(10)[:_trips1]):
        # d/dx of: if total > 5.0:   (golden_cases.py:39)
        t1 = pop(_tape)
        # d/dx of: total = total + x * i   (golden_cases.py:38)
        total = pop(_tape)
        x_times_i = x * i
        x_times_i_bar = unbroadcast(total_bar, x_times_i)
        total_bar = unbroadcast(total_bar, total)
        x_bar = x_bar + unbroadcast(x_times_i_bar * i, x)
    return x_bar
