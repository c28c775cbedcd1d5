# s2sad.source(logistic, mode='reverse')  (tests/golden_cases.py)
# reverse mode wrt x, general (grad runs a variant specialized to its arguments: source(f, args=...))
def logistic_vjp(x, n, v_bar=1.0):
    _tape = []
    v = x
    for _ in range(n):
        t1 = 4.0 * v
        t2 = 1.0 - v
        push(_tape, v)
        v = t1 * t2
    # d/dx of: for _ in range(n):   (golden_cases.py:23)
    for _ in reversed(range(n)):
        # d/dx of: v = 4.0 * v * (1.0 - v)   (golden_cases.py:24)
        v = pop(_tape)
        t1 = 4.0 * v
        t2 = 1.0 - v
        t1_bar = unbroadcast(v_bar * t2, t1)
        t2_bar = unbroadcast(v_bar * t1, t2)
        v_bar = unbroadcast(-t2_bar, v) + unbroadcast(t1_bar * 4.0, v)
    return v_bar
