# s2sad.source(matrix_ops, mode='forward', wrt='S')  (tests/golden_cases.py)
# forward mode wrt S, general
def matrix_ops_jvp(S, a, S_dot):
    # d/dx of: K = S @ S.T + np.eye(3)   (golden_cases.py:97)
    S_T = S.T
    S_T_dot = S_dot.T
    S_at_S_T = S @ S_T
    S_at_S_T_dot = S_dot @ S_T + S @ S_T_dot
    eye_3 = np.eye(3)
    K = S_at_S_T + eye_3
    K_dot = broadcast_like(S_at_S_T_dot, K)
    # d/dx of: alpha = np.linalg.solve(K, a)   (golden_cases.py:98)
    alpha = np.linalg.solve(K, a)
    alpha_dot = -runtime.solve(K, np.matmul(K_dot, alpha))
    # d/dx of: sign, logdet = np.linalg.slogdet(K)   (golden_cases.py:99)
    slogdet_K = np.linalg.slogdet(K)
    slogdet_K_dot = (np.zeros_like(slogdet_K[0]), np.trace(runtime.solve(K, K_dot), axis1=-2, axis2=-1))
    logdet = slogdet_K[1]
    logdet_dot = slogdet_K_dot[1]
    # d/dx of: return a @ alpha + logdet + np.trace(np.linalg.inv(K))   (golden_cases.py:100)
    a_at_alpha = a @ alpha
    a_at_alpha_dot = a @ alpha_dot
    t1 = a_at_alpha + logdet
    t1_dot = a_at_alpha_dot + logdet_dot
    inv_K = np.linalg.inv(K)
    inv_K_dot = -np.matmul(inv_K, np.matmul(K_dot, inv_K))
    trace_inv_K = np.trace(inv_K)
    trace_inv_K_dot = np.trace(inv_K_dot)
    matrix_ops = t1 + trace_inv_K
    matrix_ops_dot = t1_dot + trace_inv_K_dot
    return (matrix_ops, matrix_ops_dot)
