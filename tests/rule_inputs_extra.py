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


# NumPy 2.5's eig returns complex arrays even for a real spectrum, which s2sad refuses (complex values)
EIG_IS_REAL = not np.iscomplexobj(np.linalg.eig(np.diag([1.0, 2.0]))[0])


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


# -- numpy_misc ---------------------------------------------------------------------------------------------

from s2sad import runtime_misc  # noqa: E402

XP = np.array([-1.0, -0.2, 0.5, 1.1])
CONDS = [np.array([True, False, False, True]), np.array([True, True, False, False])]


@case(np.convolve, (3,), (5,))
def convolve_same(a, v):
    return np.convolve(a, v, "same")


@case(np.convolve, (6,), (3,))
def convolve_valid(a, v):
    return np.convolve(a, v, mode="valid")


@case(np.correlate, (4,), (6,))
def correlate_same(a, v):
    return np.correlate(a, v, "same")


@case(np.correlate, (6,), (3,))
def correlate_full(a, v):
    return np.correlate(a, v, "full")


@case(runtime_misc.conv, (4,), (3,))
def rt_conv_same(a, v):
    return runtime_misc.conv(a, v, "same", "correlate")


@case(runtime_misc.conv_adjoint_a, (6,), (4,), (3,))
def rt_conv_adjoint_a(g, a, v):
    return runtime_misc.conv_adjoint_a(g, a, v, "full", "convolve")


@case(runtime_misc.conv_adjoint_a, (4,), (4,), (3,), wrt=(0, 2))
def rt_conv_adjoint_a_same(g, a, v):
    return runtime_misc.conv_adjoint_a(g, a, v, "same", "correlate")


@case(runtime_misc.conv_adjoint_b, (2,), (4,), (3,), wrt=(0, 1))
def rt_conv_adjoint_b_valid(g, a, v):
    return runtime_misc.conv_adjoint_b(g, a, v, "valid", "correlate")


@case(np.interp, (2, 3), (4,), wrt=(0, 1))
def interp_x_fp(x, fp):
    return np.interp(x, XP, fp)


@case(np.interp, (5,), (4,), wrt=(0, 1))
def interp_bounds(x, fp):
    return np.interp(1.5 * x, XP, fp, left=-3.0, right=2.0)


@case(np.interp, (), (4,), wrt=(0, 1))
def interp_scalar(x, fp):
    return np.interp(x, XP, fp)


@case(runtime_misc.interp_values, (5,), (4,), wrt=(0, 1))
def rt_interp_values(x, fp):
    return runtime_misc.interp_values(1.5 * x, XP, fp, 1.0, None)


@case(runtime_misc.interp_slope, (5,), (4,), wrt=(1,))
def rt_interp_slope(x, fp):
    return runtime_misc.interp_slope(x, XP, fp)


@case(runtime_misc.interp_slope_adjoint, (5,), (5,), wrt=(0,))
def rt_interp_slope_adjoint(g, x):
    return runtime_misc.interp_slope_adjoint(g, x, XP)


@case(runtime_misc.interp_fp_adjoint, (5,), (5,))
def rt_interp_fp_adjoint(g, x):
    return runtime_misc.interp_fp_adjoint(g, 1.5 * x, XP, None, 0.0)


@case(np.polyval, (3,), ())
def polyval_scalar(p, x):
    return np.polyval(p, x)


@case(np.gradient, (6,))
def gradient_1d(f):
    return np.gradient(f)


@case(np.gradient, (4, 5))
def gradient_2d_spacing(f):
    return np.gradient(f, 0.5, edge_order=2)


@case(np.gradient, (4, 5))
def gradient_axis_coordinates(f):
    return np.gradient(f, np.array([0.0, 0.3, 1.0, 1.2, 2.0]), axis=1)


@case(np.gradient, (4, 5), float32=False)
def gradient_one_of_two(f):
    gy, gx = np.gradient(f)
    return gx * 2.0


@case(runtime_misc.gradient_adjoint, (4, 5), (4, 5), wrt=(0,))
def rt_gradient_adjoint(g, f):
    return runtime_misc.gradient_adjoint(g, f, (0.5,), 0, 2)


@case(runtime_misc.gradient_of, (6,), (6,), wrt=(0,))
def rt_gradient_of(t, f):
    return runtime_misc.gradient_of(t, f, (), None, 1)


@case(np.append, (2, 3), (4,))
def append_flat(a, v):
    return np.append(a, v)


@case(np.append, (2, 3), (1, 3))
def append_axis(a, v):
    return np.append(a, v, axis=0)


@case(np.select, (4,), (4,), (4,))
def select_default(x, y, d):
    return np.select(CONDS, [x, y], d)


@case(np.select, (4,), (4,))
def select_two(x, y):
    return np.select(CONDS, [x * y, y])


@case(np.partition, (6,))
def partition_1d(x):
    return np.partition(x, 2)


@case(np.partition, (3, 5))
def partition_axis0(x):
    return np.partition(x, (0, 2), axis=0)


@case(np.partition, (3, 4))
def partition_flat(x):
    return np.partition(x, 5, axis=None)


@case(np.rollaxis, (2, 3, 4))
def rollaxis_back(x):
    return np.rollaxis(x, 2)


@case(np.rollaxis, (2, 3, 4))
def rollaxis_forward(x):
    return np.rollaxis(x, 0, 3)


@case(runtime_misc.rollaxis_adjoint, (4, 2, 3), (2, 3, 4), wrt=(0,))
def rt_rollaxis_adjoint(g, x):
    return runtime_misc.rollaxis_adjoint(g, x, 2)


@case(sorted, (5,))
def sorted_array(x):
    return np.stack(sorted(x))


@case(sorted, (), (), ())
def sorted_list_reversed(x, y, z):
    s = sorted([x, y * 2.0, z], reverse=True)
    return s[0] * s[2]


@case(runtime_misc.sorted_tangent, (4,), (4,), wrt=(0,))
def rt_sorted_tangent(t, x):
    return np.stack(runtime_misc.sorted_tangent(t, x, True))


@case(runtime_misc.sorted_adjoint, (4,), (4,), wrt=(0,))
def rt_sorted_adjoint(g, x):
    return runtime_misc.sorted_adjoint(g, x)


try:  # the SciPy rules' calls, when SciPy is installed (its rules are registered only then)
    import scipy  # noqa: F401
except ImportError:
    pass
else:
    from rule_inputs_scipy import *  # noqa: F401, F403
