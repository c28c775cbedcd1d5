# s2sad.source(helper_call, mode='forward', wrt='w')  (tests/golden_cases.py)
# forward mode wrt w, general
def helper_call_jvp(w, x, y, w_dot):
    # d/dx of: err = predict(w, x) - y   (golden_cases.py:70)
    predict_w_x, predict_w_x_dot = predict_by_w_jvp(w=w, x=x, w_dot=w_dot)
    err = predict_w_x - y
    err_dot = broadcast_like(predict_w_x_dot, err)
    # d/dx of: return np.sum(err * err)   (golden_cases.py:71)
    err_times_err = err * err
    err_times_err_dot = err_dot * err + err_dot * err
    helper_call = np.sum(err_times_err)
    helper_call_dot = np.sum(err_times_err_dot)
    return (helper_call, helper_call_dot)


def predict_by_w_jvp(w, x, w_dot):
    # d/dx of: return np.tanh(x @ w)   (golden_cases.py:66)
    x_at_w = x @ w
    x_at_w_dot = x @ w_dot
    predict = np.tanh(x_at_w)
    predict_dot = x_at_w_dot * (1.0 - predict * predict)
    return (predict, predict_dot)
