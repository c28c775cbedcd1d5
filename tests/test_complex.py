"""Complex intermediate values of real functions (docs/complex.md): np.fft, abs, real, imag, conj and angle
under JAX's convention, checked in both modes and at second order against finite differences."""

import numpy as np
import pytest

import s2sad
from s2sad.testing import check_derivatives

EPS = 1e-6
X = np.array([0.3, -1.2, 0.7, 2.0, 0.1, -0.4])
M = np.array([[0.3, -1.2, 0.7, 2.0], [0.1, -0.4, 1.1, 0.5], [-0.8, 0.2, 0.9, -1.5]])
H = np.exp(-0.5 * np.arange(4.0)) * (1.0 + 0.3j)   # a filter on rfft's half spectrum of 6 points


def power_spectrum(x):
    return np.sum(np.abs(np.fft.rfft(x)) ** 2)


def filtered(x):
    y = np.fft.irfft(np.fft.rfft(x) * H, n=6)
    return np.sum(y ** 2 * x)


def real_of_ifft(x):
    z = np.fft.ifft(np.fft.fft(x) * np.exp(1j * x))
    return np.sum(np.real(z) * x) + np.sum(np.imag(z) ** 2)


def fft_with_n(x):
    return np.sum(np.abs(np.fft.fft(x, n=8)) * np.arange(8.0))


def fft_cut(x):
    return np.sum(np.real(np.fft.fft(x, n=4)) ** 2)


def fft_on_axis0(m):
    return np.sum(np.abs(np.fft.fft(m, axis=0)) ** 3)


def rfft_on_axis0_ortho(m):
    return np.sum(np.abs(np.fft.rfft(m, axis=0, norm="ortho")) * m[:2])


def irfft_odd(x):
    z = np.fft.rfft(x) * (1.0 + 2.0j)
    return np.sum(np.fft.irfft(z, n=5, norm="forward") ** 2)


def conj_product(x):
    z = x * np.exp(1j * x ** 2)
    return np.sum(np.real(z * np.conj(z))) + np.sum(np.imag(np.conj(z) * (2.0 + 1j)))


def angle_of(x):
    z = np.fft.fft(x)
    return np.sum(np.angle(z[1:3]) * x[:2]) + np.sum(np.angle(z[1:2] * 1j, deg=True))


def field_parts(x):
    z = np.fft.fft(x * x)
    return np.sum(z.real * x) - np.sum(z.imag ** 2)


def complex_scalar(x):
    z = (x[0] + 1j * x[1]) ** 3
    return np.abs(z) + np.real(z) * x[2]


def spectral_loss(x):
    target = np.array([1.0, 0.5, 0.25, 0.1])
    return np.mean((np.abs(np.fft.rfft(x)) - target) ** 2)


def matmul_complex(x):
    F = np.exp(-2j * np.pi * np.outer(np.arange(6.0), np.arange(6.0)) / 6.0)
    return np.sum(np.abs(F @ x - np.fft.fft(np.sin(x))) ** 2)


def sqrt_log(x):
    z = np.fft.fft(x) + 3.0
    return np.real(np.sum(np.log(z) * np.sqrt(z)))


def ifft_ortho_n(x):
    return np.sum(np.abs(np.fft.ifft(x * 1j, n=7, norm="ortho")) ** 2 * np.arange(7.0))


def assembled(x):
    z = np.fft.fft(x)
    parts = np.concatenate([np.array([1.0, 0.5j]) * x[:2], np.roll(z, 2)[:3], np.flip(z)[:1]])
    grid = np.stack([parts, np.cumsum(parts)]).T
    return np.sum(np.abs(np.tanh(np.expand_dims(grid, 0) * 0.3)) ** 2) + np.real(np.sum(np.transpose(grid)))


ALL = [assembled, power_spectrum, filtered, real_of_ifft, fft_with_n, fft_cut, irfft_odd, conj_product, angle_of,
       field_parts, complex_scalar, spectral_loss, matmul_complex, sqrt_log, ifft_ortho_n]
MATRICES = [fft_on_axis0, rfft_on_axis0_ortho]


def numeric_grad(f, x):
    """Central differences of f (a scalar or an array) along each entry of x, stacked on x's axes last."""
    columns = []
    for i in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[i] = EPS
        columns.append((np.asarray(f(x + d)) - np.asarray(f(x - d))) / (2 * EPS))
    return np.moveaxis(np.array(columns), 0, -1).reshape(np.shape(columns[0]) + x.shape)


def cases():
    return [pytest.param(f, X, id=f.__name__) for f in ALL] + [pytest.param(f, M, id=f.__name__) for f in MATRICES]


@pytest.mark.parametrize("f, x", cases())
def test_gradient_in_both_modes_against_finite_differences(f, x):
    want = numeric_grad(f, x)
    for mode in ("reverse", "forward"):
        got = s2sad.jacobian(f, mode=mode)(x)
        assert not np.iscomplexobj(got)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    check_derivatives(f, [x])


@pytest.mark.parametrize("f, x", cases())
def test_hessian_against_finite_differences_of_the_gradient(f, x):
    want = numeric_grad(s2sad.grad(f), x)
    got = s2sad.hessian(f)(x)
    assert not np.iscomplexobj(got)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


# -- convolution through the FFT, against np.convolve's own rule ------------------------------------------

K = np.array([0.5, -1.0, 0.25])


def fft_convolve(x):
    n = x.size + K.size - 1
    y = np.fft.irfft(np.fft.rfft(x, n=n) * np.fft.rfft(K, n=n), n=n)
    return np.sum(y ** 2 * np.arange(n))


def direct_convolve(x):
    y = np.convolve(x, K)
    return np.sum(y ** 2 * np.arange(y.size))


def test_fft_convolution_has_np_convolve_gradient_and_hessian():
    np.testing.assert_allclose(fft_convolve(X), direct_convolve(X), rtol=1e-12)
    want = numeric_grad(direct_convolve, X)
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(s2sad.jacobian(fft_convolve, mode=mode)(X), want, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(s2sad.grad(fft_convolve)(X), s2sad.grad(direct_convolve)(X), rtol=1e-10)
    np.testing.assert_allclose(s2sad.hessian(fft_convolve)(X), s2sad.hessian(direct_convolve)(X), rtol=1e-9,
                               atol=1e-12)
    np.testing.assert_allclose(s2sad.hessian(fft_convolve)(X), numeric_grad(s2sad.grad(direct_convolve), X),
                               rtol=1e-5, atol=1e-6)


# -- what has no rule for complex values is refused at its line, never run on them ------------------------


def maximum_of_complex(x):
    z = np.fft.fft(x)
    return np.sum(np.real(np.maximum(z, 0.0)))


def sort_of_complex(x):
    z = np.fft.fft(x) * 1j
    return np.sum(np.abs(np.sort(z)))


def spectrum_norm(z):
    return np.sum(np.abs(z))


def helper_given_complex(x):
    return spectrum_norm(np.fft.fft(x))


def complex_result(x):
    return np.fft.fft(x)[1] * 2.0


def written_into_an_array(x):
    out = np.zeros(6, dtype=complex)
    out[:] = np.fft.fft(x)
    return np.sum(np.abs(out))


def rfft_of_complex(x):
    return np.sum(np.abs(np.fft.rfft(np.fft.fft(x))))


def vdot_of_complex(x):
    z = np.fft.fft(x)
    return np.real(np.vdot(z, z))


def spread_norm(*parts):
    return np.sum(np.abs(parts[0])) + np.real(np.sum(parts[1] * parts[0]))


def star_helper_given_complex(x):
    norms = [spread_norm, spectrum_norm]
    return norms[1](np.fft.fft(x))   # a function known only when the code runs


REFUSED = [(maximum_of_complex, "np.maximum"), (sort_of_complex, "np.sort"), (written_into_an_array, "out[:]"),
           (rfft_of_complex, "np.fft.rfft"), (vdot_of_complex, "np.vdot"),
           (star_helper_given_complex, "norms[1](")]


def star_given_complex(x):
    return spread_norm(np.fft.fft(x), x * 1j)


def test_a_function_of_yours_given_complex_values_is_differentiated_for_them():
    """spectrum_norm gets a complex value: its complex variant is differentiated (complex_io.py), its result
    known real from its own returns. Second order through it is refused, at the user's line."""
    for f in (helper_given_complex, star_given_complex):
        want = numeric_grad(f, X)
        for mode in ("reverse", "forward"):
            np.testing.assert_allclose(s2sad.jacobian(f, mode=mode)(X), want, rtol=1e-6, atol=1e-7)
    with pytest.raises(s2sad.S2SADError, match="second order") as info:
        s2sad.hessian(helper_given_complex)(X)
    assert info.value.filename == __file__


@pytest.mark.parametrize("f, text", REFUSED, ids=[f.__name__ for f, _ in REFUSED])
def test_rule_without_complex_support_is_refused_at_its_line(f, text):
    import inspect
    source, first = inspect.getsourcelines(f)
    want = first + next(i for i, line in enumerate(source) if text in line and "def " not in line)
    for derivative in (s2sad.grad(f), lambda x: s2sad.jvp(f, (x,), (x,))):
        with pytest.raises(s2sad.S2SADError, match="complex") as info:
            derivative(X)
        assert info.value.lineno == want and info.value.filename == __file__


def test_complex_result_is_refused_by_grad_and_differentiated_by_jvp():
    """grad has nothing to give for a complex result (JAX's grad refuses it too); jvp and jacobian do."""
    with pytest.raises(s2sad.S2SADError, match="complex result"):
        s2sad.grad(complex_result)(X)
    want = numeric_grad(complex_result, X)
    assert np.iscomplexobj(want)
    np.testing.assert_allclose(s2sad.jvp(complex_result, (X,), (X,))[1], want @ X, rtol=1e-6)
    np.testing.assert_allclose(s2sad.jacobian(complex_result)(X), want, rtol=1e-6, atol=1e-8)


def filtered_by(x, H):
    return np.sum(np.abs(np.fft.rfft(x) * H) ** 2)


def test_complex_argument_of_a_function_in_complex_mode_is_a_complex_parameter():
    """A complex H, where a real one was seen before: the complex variant (complex_io.py), not the real code."""
    H_real = np.linspace(0.5, 1.0, 4)
    np.testing.assert_allclose(s2sad.grad(filtered_by)(X, H_real), numeric_grad(lambda x: filtered_by(x, H_real), X),
                               rtol=1e-6)
    H = H_real * (1.0 + 1j)
    np.testing.assert_allclose(s2sad.grad(filtered_by)(X, H), numeric_grad(lambda x: filtered_by(x, H), X),
                               rtol=1e-6)
    dH = s2sad.grad(filtered_by, wrt=1)(X, H)
    want = numeric_grad(lambda h: filtered_by(X, h), H_real * 0 + H) - 1j * numeric_grad(
        lambda y: filtered_by(X, H + 1j * (y - H_real)), H_real)
    np.testing.assert_allclose(dH, want, rtol=1e-6)


def test_a_real_function_is_left_as_it_was():
    def real_only(x):
        return np.sum(np.abs(x) * np.maximum(x, 0.0))
    assert "real_like" not in s2sad.source(s2sad.grad(real_only))
    assert "real_like" in s2sad.source(s2sad.grad(power_spectrum))
