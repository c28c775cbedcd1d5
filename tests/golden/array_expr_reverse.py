# s2sad.source(array_loss, mode='reverse', wrt='w')  (tests/golden_cases.py)
# reverse mode wrt w, general (grad runs a variant specialized to its arguments: source(f, args=...))
def array_loss_vjp(w, x, y, array_loss_bar=1.0):
    x_at_w = x @ w
    tanh_x_at_w = np.tanh(x_at_w)
    err = tanh_x_at_w - y
    err_pow_2 = err ** 2
    # d/dx of: return np.mean(err**2)   (golden_cases.py:18)
    err_pow_2_bar = mean_adjoint(array_loss_bar, err_pow_2, None, False)
    err_bar = unbroadcast(err_pow_2_bar * (2 * err), err)
    # d/dx of: err = np.tanh(x @ w) - y   (golden_cases.py:17)
    tanh_x_at_w_bar = unbroadcast(err_bar, tanh_x_at_w)
    x_at_w_bar = tanh_x_at_w_bar * (1.0 - tanh_x_at_w * tanh_x_at_w)
    w_bar = matmul_adjoint_b(x_at_w_bar, x, w)
    return w_bar
