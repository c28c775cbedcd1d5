# s2sad.source(helper_call, mode='reverse', wrt='w')  (tests/golden_cases.py)
# reverse mode wrt w, general (grad runs a variant specialized to its arguments: source(f, args=...))
def helper_call_vjp(w, x, y, helper_call_bar=1.0):
    predict_w_x, predict_record = predict_by_w_fwd(w=w, x=x)
    err = predict_w_x - y
    err_times_err = err * err
    # d/dx of: return np.sum(err * err)   (golden_cases.py:71)
    err_times_err_bar = sum_adjoint(helper_call_bar, err_times_err, None, False)
    err_bar = unbroadcast(err_times_err_bar * err, err) * 2.0
    # d/dx of: err = predict(w, x) - y   (golden_cases.py:70)
    predict_w_x_bar = unbroadcast(err_bar, predict_w_x)
    w_bar = predict_by_w_bwd(predict_record, predict_w_x_bar)
    return w_bar


def predict_by_w_fwd(w, x):
    x_at_w = x @ w
    predict = np.tanh(x_at_w)
    return (predict, (predict, w, x))


def predict_by_w_bwd(_record, predict_bar):
    predict, w, x = _record
    # d/dx of: return np.tanh(x @ w)   (golden_cases.py:66)
    x_at_w_bar = predict_bar * (1.0 - predict * predict)
    w_bar = matmul_adjoint_b(x_at_w_bar, x, w)
    return w_bar
