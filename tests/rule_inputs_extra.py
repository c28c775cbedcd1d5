"""Written-out calls for the rules of s2sad/rules/numpy_decomp.py, numpy_misc.py and the SciPy modules
(imported at the end of tests/rule_inputs.py, whose scheme they follow)."""

import numpy as np
from rule_inputs import arg, case

from s2sad import runtime_decomp

# -- decompositions ---------------------------------------------------------------------------------------

REAL_SPECTRUM = np.diag([1.0, 2.0, 3.5])


@case(np.linalg.eigh, arg((3, 3), "spd"))
def eigh_pair(a):
    return np.linalg.eigh(a)


@case(np.linalg.eigh, arg((2, 3, 3), "spd"))
def eigh_batched(a):
    return np.linalg.eigh(a)


@case(np.linalg.eigh, arg((3, 3), "spd"), float32=False)
def eigh_upper_values(a):
    w, v = np.linalg.eigh(a, UPLO="U")
    return w * 2.0


@case(np.linalg.eigh, arg((3, 3), "spd"), float32=False)
def eigh_vectors_only(a):
    return np.linalg.eigh(a)[1]


@case(np.linalg.eigvalsh, arg((3, 3), "spd"))
def eigvalsh_(a):
    return np.linalg.eigvalsh(a)


@case(np.linalg.eig, (3, 3))
def eig_real(x):
    return np.linalg.eig(0.2 * x + REAL_SPECTRUM)


@case(np.linalg.eig, (3, 3), float32=False)
def eig_values(x):
    w, v = np.linalg.eig(0.2 * x + REAL_SPECTRUM)
    return w


@case(np.linalg.svd, (4, 3))
def svd_tall(a):
    return np.linalg.svd(a, full_matrices=False)


@case(np.linalg.svd, (3, 5))
def svd_wide(a):
    return np.linalg.svd(a, full_matrices=False)


@case(np.linalg.svd, (2, 3, 3))
def svd_square_batched(a):
    return np.linalg.svd(a)


@case(np.linalg.svd, (4, 3), float32=False)
def svd_values(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return s


@case(runtime_decomp.gap_inverse, (4,))
def gap_inverse_(w):
    return runtime_decomp.gap_inverse(w + np.arange(4.0) * 3.0)


@case(runtime_decomp.svd_gaps, arg((3,), "positive"), arg((3, 3), "real"), wrt=(0,))
def svd_gaps_(s, a):
    return runtime_decomp.svd_gaps(s + np.arange(3.0) * 2.0, a)


@case(runtime_decomp.residuals_like_adjoint, (3,), (3,), (3,), wrt=(0,))
def residuals_like_adjoint_(g, x, res):
    return runtime_decomp.residuals_like_adjoint(g, x, res)


@case(np.linalg.qr, (4, 3))
def qr_tall(a):
    return np.linalg.qr(a)


@case(np.linalg.qr, arg((2, 3, 3), "matrix"))
def qr_square_batched(a):
    return np.linalg.qr(a)


@case(np.linalg.qr, (4, 3), float32=False)
def qr_r_only(a):
    q, r = np.linalg.qr(a)
    return r


@case(np.linalg.pinv, (4, 3))
def pinv_tall(a):
    return np.linalg.pinv(a)


@case(np.linalg.pinv, (2, 5))
def pinv_wide(a):
    return np.linalg.pinv(a)


@case(np.linalg.pinv, arg((2, 3, 3), "matrix"))
def pinv_square_batched(a):
    return np.linalg.pinv(a)


@case(np.linalg.lstsq, (5, 3), (5,))
def lstsq_vector(a, b):
    return np.linalg.lstsq(a, b)


@case(np.linalg.lstsq, (5, 3), (5, 2))
def lstsq_matrix(a, b):
    return np.linalg.lstsq(a, b, rcond=None)


@case(np.linalg.lstsq, arg((3, 3), "matrix"), (3, 2), float32=False)
def lstsq_square_solution(a, b):
    x, res, rank, s = np.linalg.lstsq(a, b)
    return x


@case(runtime_decomp.summable, (3,), ())
def summable_(x, y):
    return runtime_decomp.summable((x * y, 2.0 * y))
