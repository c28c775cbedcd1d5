# s2sad.source(matrix_ops, mode='reverse', wrt=('S', 'a'))  (tests/golden_cases.py)
# reverse mode wrt S, a, general (grad runs a variant specialized to its arguments: source(f, args=...))
def matrix_ops_vjp(S, a, matrix_ops_bar=1.0):
    S_T = S.T
    S_at_S_T = S @ S_T
    eye_3 = np.eye(3)
    K = S_at_S_T + eye_3
    alpha, solve_record = solve_fwd(K, a)
    slogdet_K, slogdet_record = slogdet_fwd(K)
    logdet = slogdet_K[1]
    a_at_alpha = a @ alpha
    t1 = a_at_alpha + logdet
    inv_K, inv_record = inv_fwd(K)
    trace_inv_K = np.trace(inv_K)
    # d/dx of: return a @ alpha + logdet + np.trace(np.linalg.inv(K))   (golden_cases.py:100)
    t1_bar = unbroadcast(matrix_ops_bar, t1)
    trace_inv_K_bar = unbroadcast(matrix_ops_bar, trace_inv_K)
    inv_K_bar = trace_adjoint(trace_inv_K_bar, inv_K, 0, 0, 1)
    K_bar = inv_bwd(inv_record, inv_K_bar)
    a_at_alpha_bar = unbroadcast(t1_bar, a_at_alpha)
    logdet_bar = unbroadcast(t1_bar, logdet)
    a_bar = matmul_adjoint_a(a_at_alpha_bar, a, alpha)
    alpha_bar = matmul_adjoint_b(a_at_alpha_bar, a, alpha)
    # d/dx of: sign, logdet = np.linalg.slogdet(K)   (golden_cases.py:99)
    slogdet_K_bar = scatter(logdet_bar, slogdet_K, 1)
    K_bar = K_bar + slogdet_bwd(slogdet_record, slogdet_K_bar)
    # d/dx of: alpha = np.linalg.solve(K, a)   (golden_cases.py:98)
    K_bar_part, a_bar_part = solve_bwd(solve_record, alpha_bar)
    K_bar = K_bar + K_bar_part
    a_bar = a_bar + a_bar_part
    # d/dx of: K = S @ S.T + np.eye(3)   (golden_cases.py:97)
    S_at_S_T_bar = unbroadcast(K_bar, S_at_S_T)
    S_bar = matmul_adjoint_a(S_at_S_T_bar, S, S_T)
    S_T_bar = matmul_adjoint_b(S_at_S_T_bar, S, S_T)
    S_bar = S_bar + np.transpose(S_T_bar)
    return (S_bar, a_bar)
