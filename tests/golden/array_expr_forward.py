# s2sad.source(array_loss, mode='forward', wrt=('w', 'x'))  (tests/golden_cases.py)
# forward mode wrt w, x, general
def array_loss_jvp(w, x, y, w_dot, x_dot):
    # d/dx of: err = np.tanh(x @ w) - y   (golden_cases.py:17)
    x_at_w = x @ w
    x_at_w_dot = x_dot @ w + x @ w_dot
    tanh_x_at_w = np.tanh(x_at_w)
    tanh_x_at_w_dot = x_at_w_dot * (1.0 - tanh_x_at_w * tanh_x_at_w)
    err = tanh_x_at_w - y
    err_dot = broadcast_like(tanh_x_at_w_dot, err)
    # d/dx of: return np.mean(err**2)   (golden_cases.py:18)
    err_pow_2 = err ** 2
    err_pow_2_dot = err_dot * (2 * err)
    array_loss = np.mean(err_pow_2)
    array_loss_dot = np.mean(err_pow_2_dot)
    return (array_loss, array_loss_dot)
