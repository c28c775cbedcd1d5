# s2sad.source(array_loss, mode='reverse', wrt='w', args=<ndarray(2,), ndarray(3, 2), float()>)  (tests/golden_cases.py)
# reverse mode wrt w, specialized to w: f[n], x: f[n, n], y: float (what grad runs for such arguments)
def array_loss_vjp(w, x, y, array_loss_bar=1.0):
    x_at_w = x @ w
    tanh_x_at_w = np.tanh(x_at_w)
    del x_at_w
    err = tanh_x_at_w - y
    err_pow_2 = err ** 2
    # d/dx of: return np.mean(err**2)   (golden_cases.py:18)
    err_pow_2_bar = mean_adjoint(1.0, err_pow_2, None, False)
    del err_pow_2
    err_bar = err_pow_2_bar * (2 * err)
    del err, err_pow_2_bar
    # d/dx of: err = np.tanh(x @ w) - y   (golden_cases.py:17)
    x_at_w_bar = err_bar * (1.0 - tanh_x_at_w * tanh_x_at_w)
    del err_bar, tanh_x_at_w
    w_bar = x.T @ x_at_w_bar
    return w_bar
