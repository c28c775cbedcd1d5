# s2sad.source(dict_params, mode='reverse', wrt='params')  (tests/golden_cases.py)
# reverse mode wrt params, general (grad runs a variant specialized to its arguments: source(f, args=...))
def dict_params_vjp(params, X, dict_params_bar=1.0):
    t1 = params['W1']
    X_at_t1 = X @ t1
    t2 = params['b1']
    X_at_t1_plus_t2 = X_at_t1 + t2
    hidden = np.tanh(X_at_t1_plus_t2)
    t3 = params['W2']
    out = hidden @ t3
    out_pow_2 = out ** 2
    # d/dx of: return np.sum(out**2)   (golden_cases.py:85)
    out_pow_2_bar = sum_adjoint(dict_params_bar, out_pow_2, None, False)
    out_bar = unbroadcast(out_pow_2_bar * (2 * out), out)
    # d/dx of: out = hidden @ params["W2"]   (golden_cases.py:84)
    hidden_bar = matmul_adjoint_a(out_bar, hidden, t3)
    t3_bar = matmul_adjoint_b(out_bar, hidden, t3)
    params_bar = scatter(t3_bar, params, 'W2')
    # d/dx of: hidden = np.tanh(X @ params["W1"] + params["b1"])   (golden_cases.py:83)
    X_at_t1_plus_t2_bar = hidden_bar * (1.0 - hidden * hidden)
    X_at_t1_bar = unbroadcast(X_at_t1_plus_t2_bar, X_at_t1)
    t2_bar = unbroadcast(X_at_t1_plus_t2_bar, t2)
    params_bar = scatter_add(params_bar, t2_bar, params, 'b1')
    t1_bar = matmul_adjoint_b(X_at_t1_bar, X, t1)
    params_bar = scatter_add(params_bar, t1_bar, params, 'W1')
    return params_bar
