"""Written-out calls for the rules of s2sad/rules/numpy_fft.py (imported at the end of tests/rule_inputs.py,
whose scheme they follow). Each takes and returns real values, with complex ones in between (docs/complex.md):
the rule tests check real functions, so a complex result is turned real with a complex weight and np.real."""

import numpy as np
from rule_inputs import case

from s2sad import runtime_fft

W6 = np.exp(0.4j * np.arange(6.0))          # complex weights of a 6-point spectrum
W4 = np.exp(-0.7j * np.arange(4.0))         # of rfft's half spectrum of 6 points
W8 = np.exp(0.3j * np.arange(8.0))
Z6 = np.array([[0.5 + 1j, -0.2, 0.3j, 1.0, -1j, 0.4 - 0.2j]] * 2)   # a complex primal, for the adjoints
H24 = np.array([[1.0 + 0.5j, 0.2 - 1j, -0.3j, 0.7]] * 2)           # a complex half spectrum


@case(np.fft.fft, (2, 6))
def fft_weighted(x):
    return np.real(np.fft.fft(x) * W6)


@case(np.fft.fft, (2, 5), float32=False)
def fft_padded_ortho(x):
    return np.imag(np.fft.fft(x * W6[:5], n=8, norm="ortho") * W8)


@case(np.fft.fft, (6, 2))
def fft_axis0_cut(x):
    return np.abs(np.fft.fft(x + 0.5, n=4, axis=0))


@case(np.fft.ifft, (2, 6))
def ifft_weighted(x):
    return np.real(np.fft.ifft(x * W6, norm="forward") * W6)


@case(np.fft.rfft, (2, 6))
def rfft_weighted(x):
    return np.real(np.fft.rfft(x) * W4)


@case(np.fft.rfft, (7, 2), float32=False)
def rfft_axis0_n(x):
    return np.imag(np.fft.rfft(x, n=6, axis=0, norm="ortho") * W4[:, None])


@case(np.fft.irfft, (2, 6))
def irfft_of_rfft(x):
    return np.fft.irfft(np.fft.rfft(x) * W4)


@case(np.fft.irfft, (2, 6), float32=False)
def irfft_odd(x):
    return np.fft.irfft(np.fft.rfft(x) * W4, n=7, norm="forward")


@case(runtime_fft.fft_adjoint, (2, 6))
def fft_adjoint_complex(g):
    return np.real(runtime_fft.fft_adjoint(g * W6, Z6) * W6)


@case(runtime_fft.fft_adjoint, (2, 8), float32=False)
def fft_adjoint_real_cut(g):
    return np.real(runtime_fft.fft_adjoint(g * W8, np.ones((2, 5)), 8, -1, "ortho"))


@case(runtime_fft.ifft_adjoint, (2, 6))
def ifft_adjoint_complex(g):
    return np.real(runtime_fft.ifft_adjoint(g * W6, Z6) * W6)


@case(runtime_fft.rfft_adjoint, (2, 4))
def rfft_adjoint_(g):
    return runtime_fft.rfft_adjoint(g * W4, np.ones((2, 6)))


@case(runtime_fft.irfft_adjoint, (2, 6))
def irfft_adjoint_(g):
    return np.real(runtime_fft.irfft_adjoint(g, H24) * W4)


@case(np.ndarray.real, (2, 3))
def real_field(x):
    return x.real * 2.0


@case(np.ndarray.real, (2, 6))
def real_field_of_complex(x):
    return np.fft.fft(x).real
