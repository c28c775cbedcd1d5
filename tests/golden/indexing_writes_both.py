# s2sad.source(indexing_writes, mode='both')  (tests/golden_cases.py)
# forward mode wrt x, general
def indexing_writes_jvp(x, n, x_dot):
    # d/dx of: y = np.zeros(n)   (golden_cases.py:89)
    y = np.zeros(n)
    y_dot = zeros_like(y)
    # d/dx of: for i in range(n):   (golden_cases.py:90)
    for i in range(n):
        # d/dx of: y[i] = x * i   (golden_cases.py:91)
        x_times_i = x * i
        x_times_i_dot = x_dot * i
        y[i] = x_times_i
        y_dot[i] = x_times_i_dot
    # d/dx of: y[0] = np.cos(x)   (golden_cases.py:92)
    cos_x = np.cos(x)
    cos_x_dot = x_dot * -np.sin(x)
    y[0] = cos_x
    y_dot[0] = cos_x_dot
    # d/dx of: return np.sum(y * y)   (golden_cases.py:93)
    y_times_y = y * y
    y_times_y_dot = y_dot * y + y_dot * y
    indexing_writes = np.sum(y_times_y)
    indexing_writes_dot = np.sum(y_times_y_dot)
    return (indexing_writes, indexing_writes_dot)


# reverse mode wrt x, general (grad runs a variant specialized to its arguments: source(f, args=...))
def indexing_writes_vjp(x, n, indexing_writes_bar=1.0):
    _tape = []
    y = np.zeros(n)
    for i in range(n):
        x_times_i = x * i
        push(_tape, old_item(y, i))
        y[i] = x_times_i
    cos_x = np.cos(x)
    _value_old = old_item(y, 0)
    y[0] = cos_x
    y_times_y = y * y
    # d/dx of: return np.sum(y * y)   (golden_cases.py:93)
    y_times_y_bar = sum_adjoint(indexing_writes_bar, y_times_y, None, False)
    y_bar = unbroadcast(y_times_y_bar * y, y) * 2.0
    # d/dx of: y[0] = np.cos(x)   (golden_cases.py:92)
    y[0] = _value_old
    cos_x_bar = item_bar(y_bar, 0, cos_x)
    y_bar = clear_item(y_bar, 0)
    x_bar = cos_x_bar * -np.sin(x)
    # d/dx of: for i in range(n):   (golden_cases.py:90)
    for i in reversed(range(n)):
        # d/dx of: y[i] = x * i   (golden_cases.py:91)
        y[i] = pop(_tape)
        x_times_i = x * i
        x_times_i_bar = item_bar(y_bar, i, x_times_i)
        y_bar = clear_item(y_bar, i)
        x_bar = x_bar + unbroadcast(x_times_i_bar * i, x)
    return x_bar
