# s2sad.source(rnn_dot, mode='reverse', wrt=('W', 'U', 'b'), args=<ndarray(2, 2), ndarray(2, 3), ndarray(2,), ndarray(4, 3), ndarray(2,)>)  (tests/golden_cases.py)
# reverse mode wrt W, U, b, specialized to W: f[n, n], U: f[n, n], b: f[n], xs: f[n, n], h: f[n] (what grad runs for such arguments)
def rnn_dot_vjp(W, U, b, xs, h, rnn_dot_bar=1.0):
    _tape = []
    xs_shape = xs.shape
    xs_shape_0 = xs_shape[0]
    for t in range(xs_shape_0):
        xs_t = xs[t]
        push(_tape, h)
        h, rnn_step_record = rnn_step_by_W_U_b_h_fwd(W=W, U=U, b=b, x=xs_t, h=h)
        push(_tape, rnn_step_record)
    # d/dx of: return np.sum(h * h)   (golden_cases.py:114)
    h_times_h_bar = np.asarray(2.0)
    h_bar = h_times_h_bar * h
    del h_times_h_bar
    # d/dx of: for t in range(xs.shape[0]):   (golden_cases.py:112)
    U_bar = 0.0
    W_bar = 0.0
    b_bar = 0.0
    for t in reversed(range(xs_shape_0)):
        # d/dx of: h = rnn_step(W, U, b, xs[t], h)   (golden_cases.py:113)
        rnn_step_record = pop(_tape)
        W_bar_part, U_bar_part, b_bar_part, h_bar = rnn_step_by_W_U_b_h_bwd(rnn_step_record, h_bar)
        W_bar += W_bar_part
        U_bar += U_bar_part
        b_bar += b_bar_part
        h = pop(_tape)
    return (W_bar, U_bar, b_bar)


def rnn_step_by_W_U_b_h_fwd(W, U, b, x, h):
    dot_W_h = np.dot(W, h)
    dot_U_x = np.dot(U, x)
    dot_W_h_plus_dot_U_x = dot_W_h + dot_U_x
    del dot_U_x, dot_W_h
    t1 = dot_W_h_plus_dot_U_x + b
    del dot_W_h_plus_dot_U_x
    rnn_step = np.tanh(t1)
    return (rnn_step, (W, h, rnn_step, x))


def rnn_step_by_W_U_b_h_bwd(_record, rnn_step_bar):
    W, h, rnn_step, x = _record
    # d/dx of: return np.tanh(np.dot(W, h) + np.dot(U, x) + b)   (golden_cases.py:108)
    t1_bar = rnn_step_bar * (1.0 - rnn_step * rnn_step)
    U_bar = np.outer(t1_bar, x)
    W_bar = np.outer(t1_bar, h)
    h_bar = W.T @ t1_bar
    return (W_bar, U_bar, t1_bar, h_bar)
