# s2sad.source(nested_def, mode='both', wrt=('x', 'w'))  (tests/golden_cases.py)
# forward mode wrt x, w, general
def nested_def_jvp(x, w, x_dot, w_dot):
    # d/dx of: return scaled(x) + square(x)   (golden_cases.py:79)
    scaled_x_w, scaled_x_w_dot = scaled_jvp(z=x, w=w, z_dot=x_dot, w_dot=w_dot)
    square_x, square_x_dot = square_jvp(t=x, t_dot=x_dot)
    nested_def = scaled_x_w + square_x
    nested_def_dot = scaled_x_w_dot + square_x_dot
    return (nested_def, nested_def_dot)


# reverse mode wrt x, w, general (grad runs a variant specialized to its arguments: source(f, args=...))
def nested_def_vjp(x, w, nested_def_bar=1.0):
    scaled_x_w, scaled_record = scaled_fwd(z=x, w=w)
    square_x, square_record = square_fwd(t=x)
    # d/dx of: return scaled(x) + square(x)   (golden_cases.py:79)
    scaled_x_w_bar = unbroadcast(nested_def_bar, scaled_x_w)
    square_x_bar = unbroadcast(nested_def_bar, square_x)
    x_bar = square_bwd(square_record, square_x_bar)
    x_bar_part, w_bar = scaled_bwd(scaled_record, scaled_x_w_bar)
    x_bar = x_bar + x_bar_part
    return (x_bar, w_bar)


def scaled_jvp(z, w, z_dot, w_dot):
    # d/dx of: return z * w   (golden_cases.py (nested scaled in nested_def):76)
    scaled = z * w
    scaled_dot = z_dot * w + w_dot * z
    return (scaled, scaled_dot)


def square_jvp(t, t_dot):
    # d/dx of: return t * t   (golden_cases.py (nested square in nested_def):79)
    square = t * t
    square_dot = t_dot * t + t_dot * t
    return (square, square_dot)


def scaled_fwd(z, w):
    scaled = z * w
    return (scaled, (w, z))


def scaled_bwd(_record, scaled_bar):
    w, z = _record
    # d/dx of: return z * w   (golden_cases.py (nested scaled in nested_def):76)
    z_bar = unbroadcast(scaled_bar * w, z)
    w_bar = unbroadcast(scaled_bar * z, w)
    return (z_bar, w_bar)


def square_fwd(t):
    square = t * t
    return (square, (t,))


def square_bwd(_record, square_bar):
    t, = _record
    # d/dx of: return t * t   (golden_cases.py (nested square in nested_def):79)
    t_bar = unbroadcast(square_bar * t, t) * 2.0
    return t_bar
