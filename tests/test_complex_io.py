"""Complex parameters and results at the entry points (s2sad/complex_io.py, docs/complex.md): grad,
value_and_grad, jvp, vjp and jacobian under JAX's convention, checked against finite differences along the
real and the imaginary direction of each complex input, and against JAX where it is installed; and what is
refused, at the user's line."""

import inspect

import numpy as np
import pytest

import s2sad
from s2sad.testing import check_derivatives

EPS = 1e-6
Z = np.array([1.0 + 2.0j, -0.5 + 0.3j, 0.7 - 1.1j])
X = np.array([0.3, -1.2, 0.7])


def abs2(z):
    return np.sum(np.abs(z) ** 2)


def re_sq(z):
    return np.real(np.sum(z ** 2))


def im_exp(z):
    return np.sum(np.imag(np.exp(z) * z))


def conj_prod(z):
    return np.real(np.sum(z * np.conj(z) * np.sin(z)))


def angle_sum(z):
    return np.sum(np.angle(z) * np.abs(z))


def fft_loss(z):
    return np.sum(np.abs(np.fft.fft(z)) ** 2 * np.arange(3.0))


def log_sqrt(z):
    return np.real(np.sum(np.log(z) * np.sqrt(z)))


def tanh_mean(z):
    return np.abs(np.mean(np.tanh(z)))


def fields(z):
    return np.sum(z.real ** 3 - z.imag * z.real)


def loop_and_branch(z):
    total = 0.0
    for k in range(1, 4):
        total = total + np.real(z ** k) / k
    if np.real(z) > 0:
        total = total + np.abs(z)
    return total


def mixed(z, x):
    return np.sum(np.real(z * x) ** 2 + np.abs(z) * x)


def holomorphic(z):
    return z ** 3 + np.exp(z) * 2.0 - 1.0 / z


def matrix_vector(z):
    a = np.array([[1.0, 2.0j, 0.5], [0.3, -1.0, 1j]])
    return a @ z


def not_holomorphic(z):
    return z * np.conj(z) + z


def phase(x):
    return np.exp(1j * x) * x


def square(z):
    return z ** 2


REAL_OF_COMPLEX = [abs2, re_sq, im_exp, conj_prod, angle_sum, fft_loss, log_sqrt, tanh_mean, fields]


def along(f, z, direction):
    """(f(z + h d) - f(z - h d)) / 2h for each entry of z, stacked on z's axes last (d = direction there)."""
    columns = []
    for i in np.ndindex(np.shape(z)):
        d = np.zeros(np.shape(z), dtype=complex if np.iscomplexobj(z) or np.iscomplexobj(direction) else float)
        d[i] = direction * EPS
        columns.append((np.asarray(f(z + d)) - np.asarray(f(z - d))) / (2 * EPS))
    return np.moveaxis(np.array(columns), 0, -1).reshape(np.shape(columns[0]) + np.shape(z))


def jax_convention(f, z):
    """df/dx - i df/dy, each by central differences: what jax.grad gives for a real f of complex z."""
    return along(f, z, 1.0) - 1j * along(f, z, 1j)


# -- grad: JAX's convention ------------------------------------------------------------------------------


@pytest.mark.parametrize("f", REAL_OF_COMPLEX, ids=[f.__name__ for f in REAL_OF_COMPLEX])
def test_grad_is_df_dx_minus_i_df_dy(f):
    got = s2sad.grad(f)(Z)
    assert got.dtype == Z.dtype and got.shape == Z.shape
    np.testing.assert_allclose(got, jax_convention(f, Z), rtol=1e-6, atol=1e-7)


def scalar_re_sq(z):
    return np.real(z ** 2)


def test_grad_of_re_z_squared_at_1_plus_2j_is_2z():
    """A silent wrong of the past: the real code ran on a complex z and gave 2.0 (forward mode, tangent 1)."""
    assert s2sad.grad(scalar_re_sq)(1.0 + 2.0j) == 2.0 + 4.0j
    np.testing.assert_allclose(jax_convention(scalar_re_sq, 1.0 + 2.0j), 2.0 + 4.0j, rtol=1e-8)


def test_grad_of_abs_squared_is_twice_the_conjugate():
    np.testing.assert_allclose(s2sad.grad(abs2)(Z), 2 * np.conj(Z), rtol=1e-12)


def test_complex_call_after_a_real_one_is_not_the_real_derivative():
    """A complex array has a real one's shape and rank: the derivative is never looked up by them alone."""
    assert s2sad.grad(scalar_re_sq)(1.5) == 3.0
    assert s2sad.grad(scalar_re_sq)(1.0 + 2.0j) == 2.0 + 4.0j
    np.testing.assert_allclose(s2sad.grad(re_sq)(X), 2 * X)
    np.testing.assert_allclose(s2sad.grad(re_sq)(Z), 2 * Z)
    np.testing.assert_allclose(s2sad.grad(re_sq)(X), 2 * X)


def test_gradient_has_the_type_of_its_input():
    assert type(s2sad.grad(scalar_re_sq)(1.0 + 2.0j)) is complex
    assert type(s2sad.grad(scalar_re_sq)(np.complex128(1.0 + 2.0j))) is np.complex128
    assert s2sad.grad(fields)(Z).dtype == np.complex128


def test_grad_through_a_loop_and_a_branch():
    for z in (0.8 + 0.6j, -0.8 + 0.6j):
        np.testing.assert_allclose(s2sad.grad(loop_and_branch)(z), jax_convention(loop_and_branch, z), rtol=1e-6)


def test_value_and_grad_and_the_decorator():
    value, g = s2sad.value_and_grad(conj_prod)(Z)
    assert value == conj_prod(Z)
    np.testing.assert_allclose(g, jax_convention(conj_prod, Z), rtol=1e-6)
    np.testing.assert_allclose(s2sad.differentiate(conj_prod).grad(Z), g, rtol=1e-12)


def with_aux(z):
    return np.sum(np.abs(z) ** 2), z * 2.0


def test_has_aux():
    g, aux = s2sad.grad(with_aux, has_aux=True)(Z)
    np.testing.assert_allclose(g, 2 * np.conj(Z))
    np.testing.assert_allclose(aux, 2 * Z)


def test_real_and_complex_parameters_together():
    gz, gx = s2sad.grad(mixed, wrt=(0, 1))(Z, X)
    np.testing.assert_allclose(gz, jax_convention(lambda z: mixed(z, X), Z), rtol=1e-6)
    assert gx.dtype == np.float64
    np.testing.assert_allclose(gx, along(lambda x: mixed(Z, x), X, 1.0), rtol=1e-6)


def weighted(x, c):
    return np.real(np.sum(x * c) ** 2)


def test_complex_constant_argument_gives_a_real_gradient():
    c = np.array([1j, 2.0 - 0.5j, 0.3])
    g = s2sad.grad(weighted)(X, c)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, along(lambda x: weighted(x, c), X, 1.0), rtol=1e-6)


def test_gradient_descent_along_the_conjugate_lowers_f():
    z = Z.copy()
    before = fft_loss(z)
    z = z - 0.01 * np.conj(s2sad.grad(fft_loss)(z))
    assert fft_loss(z) < before


def test_vmap_of_grad_over_complex_examples():
    np.testing.assert_allclose(s2sad.vmap(s2sad.grad(scalar_re_sq))(Z), 2 * Z)


A = np.array([[0.3 + 1.0j, -0.2, 1.1 - 0.4j], [0.5j, 0.9 + 0.1j, -0.7]])


def broadcast_with(a, b):
    return np.sum(np.abs(a * b + b) ** 2)


def through_linalg(a, b):
    m = a[:, :2] @ a[:, :2].T + 3.0 * np.eye(2)
    return np.sum(np.abs(np.linalg.solve(m, a @ b)) ** 2) + np.abs(np.linalg.det(m))


def products(a, b):
    return np.imag(np.prod(b)) + np.real(np.einsum("ij,j->", a, b)) + np.real(np.sum(np.outer(b, b)))


@pytest.mark.parametrize("f", [broadcast_with, through_linalg, products])
def test_grads_of_both_complex_arguments(f):
    ga, gb = s2sad.grad(f, wrt=(0, 1))(A, Z)
    np.testing.assert_allclose(ga, jax_convention(lambda a: f(a, Z), A), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(gb, jax_convention(lambda b: f(A, b), Z), rtol=1e-6, atol=1e-7)


# -- jvp and vjp -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("f", [holomorphic, matrix_vector, not_holomorphic, abs2, square])
@pytest.mark.parametrize("direction", [1.0, 1j, 0.6 - 0.8j])
def test_jvp_matches_finite_differences(f, direction):
    t = np.linspace(0.5, 1.5, 3) * direction
    out, out_dot = s2sad.jvp(f, (Z,), (t,))
    np.testing.assert_allclose(out, f(Z))
    want = (np.asarray(f(Z + EPS * t)) - np.asarray(f(Z - EPS * t))) / (2 * EPS)
    np.testing.assert_allclose(out_dot, want, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f", [holomorphic, matrix_vector, not_holomorphic, abs2])
def test_vjp_is_the_transpose_of_jvp(f):
    """Re(sum(c * J v)) = Re(sum(pullback(c) * v)) for v real and v imaginary (JAX's pairing, no conjugate)."""
    out, pullback = s2sad.vjp(f, Z)
    c = np.linspace(0.5, 1.5, np.size(out)).reshape(np.shape(out)) * ((1 - 0.5j) if np.iscomplexobj(out) else 1.0)
    (z_bar,) = pullback(c)
    for direction in (1.0, 1j):
        v = np.array([0.3, -0.7, 1.1]) * direction
        jv = (np.asarray(f(Z + EPS * v)) - np.asarray(f(Z - EPS * v))) / (2 * EPS)
        np.testing.assert_allclose(np.real(np.sum(z_bar * v)), np.real(np.sum(c * jv)), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f, args", [(holomorphic, (Z,)), (not_holomorphic, (Z,)), (mixed, (Z, X)), (phase, (X,)),
                                     (scalar_re_sq, (1.0 + 2.0j,))])
def test_check_derivatives_takes_complex_values(f, args):
    """s2sad.testing.check_derivatives moves complex arguments along real and imaginary directions."""
    assert check_derivatives(f, list(args))


def test_check_derivatives_catches_a_wrong_complex_derivative(monkeypatch):
    from s2sad import api
    real_jvp = api.jvp
    monkeypatch.setattr(api, "jvp", lambda f, p, t: (lambda o: (o[0], np.conj(o[1])))(real_jvp(f, p, t)))
    with pytest.raises(AssertionError):
        check_derivatives(holomorphic, [Z])


def test_vjp_of_a_holomorphic_function_multiplies_by_the_derivative():
    (z_bar,) = s2sad.vjp(square, 1.0 + 2.0j)[1](1.0 - 1.0j)
    np.testing.assert_allclose(z_bar, (1.0 - 1.0j) * 2 * (1.0 + 2.0j))


def test_complex_tangent_or_cotangent_of_a_real_value_is_refused():
    with pytest.raises(s2sad.S2SADError, match="tangent for 'x' is complex"):
        s2sad.jvp(phase, (X,), (X * 1j,))
    out, out_dot = s2sad.jvp(square, (X + 0j,), (X * 1j,))   # a complex primal takes it
    np.testing.assert_allclose(out_dot, 2 * X * X * 1j)
    with pytest.raises(s2sad.S2SADError, match="cotangent for 'the output' is complex"):
        s2sad.vjp(abs2, Z)[1](1.0 + 1.0j)


def test_complex_result_of_real_input():
    out, out_dot = s2sad.jvp(phase, (X,), (np.ones(3),))
    np.testing.assert_allclose(out_dot, (np.asarray(phase(X + EPS)) - phase(X - EPS)) / (2 * EPS), rtol=1e-6)
    c = np.array([1.0 - 1j, 0.5j, 2.0])
    (x_bar,) = s2sad.vjp(phase, X)[1](c)
    assert x_bar.dtype == np.float64
    np.testing.assert_allclose(x_bar, np.real(c * np.diagonal(along(phase, X, 1.0))), rtol=1e-6)


# -- jacobian ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["forward", "reverse", "auto"])
def test_jacobian_of_a_real_function_of_complex_z_is_grads_convention(mode):
    np.testing.assert_allclose(s2sad.jacobian(abs2, mode=mode)(Z), 2 * np.conj(Z))
    J = s2sad.jacobian(lambda_free_energy, mode=mode)(Z)
    assert J.shape == (2, 3)
    np.testing.assert_allclose(J, jax_convention(lambda_free_energy, Z), rtol=1e-6, atol=1e-8)


def lambda_free_energy(z):
    return np.array([np.sum(np.abs(z) ** 2), np.real(np.sum(z ** 3))])


@pytest.mark.parametrize("mode", ["forward", "reverse", "auto"])
def test_jacobian_of_a_complex_function_of_real_x_is_df_dx(mode):
    J = s2sad.jacobian(phase, mode=mode)(X)
    np.testing.assert_allclose(J, along(phase, X, 1.0), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f", [holomorphic, matrix_vector, square])
def test_jacobian_of_a_holomorphic_function_is_its_complex_derivative(f):
    J = s2sad.jacobian(f)(Z)
    np.testing.assert_allclose(J, along(f, Z, 1.0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(1j * J, along(f, Z, 1j), rtol=1e-6, atol=1e-8)   # Cauchy-Riemann


def test_jacobian_with_respect_to_a_tuple():
    Jz, Jx = s2sad.jacobian(mixed, wrt=(0, 1))(Z, X)
    np.testing.assert_allclose(Jz, jax_convention(lambda z: mixed(z, X), Z), rtol=1e-6)
    np.testing.assert_allclose(Jx, along(lambda x: mixed(Z, x), X, 1.0), rtol=1e-6)


# -- refused, at the user's line ---------------------------------------------------------------------------


def line_of(f, text=None):
    source, first = inspect.getsourcelines(f)
    return first if text is None else first + next(i for i, s in enumerate(source) if text in s)


def test_jacobian_of_a_function_that_is_not_holomorphic_is_refused():
    with pytest.raises(s2sad.S2SADError, match="not holomorphic") as info:
        s2sad.jacobian(not_holomorphic)(Z)
    assert info.value.lineno == line_of(not_holomorphic) and info.value.filename == __file__


def test_grad_of_a_complex_result_is_refused():
    with pytest.raises(s2sad.S2SADError, match="complex value") as info:
        s2sad.grad(square)(1.0 + 2.0j)
    assert info.value.lineno == line_of(square) and "np.abs" in str(info.value)


def test_second_order_jets_and_linearize_are_refused():
    tries = {"hessian": lambda: s2sad.hessian(abs2)(Z),
             "hvp": lambda: s2sad.hvp(abs2, (Z,), (Z,)),
             "grad of a derivative": lambda: s2sad.grad(s2sad.grad(scalar_re_sq))(1.0 + 2.0j),
             "jvp of a derivative": lambda: s2sad.jvp(s2sad.grad(scalar_re_sq), (1.0 + 2.0j,), (1.0,)),
             "jet": lambda: s2sad.jet(abs2, (Z,), ([Z],)),
             "linearize": lambda: s2sad.linearize(abs2, Z)}
    for what, run in tries.items():
        with pytest.raises(s2sad.S2SADError, match=f"{what}.* complex values") as info:
            run()
        assert info.value.filename == __file__, what


def in_a_dict(p):
    return np.abs(p["z"]) ** 2


def helper(z):
    return np.sum(z * z)


def calls_helper(z):
    return np.real(helper(z)) + energy_of(z, 2.0)


def energy_of(z, scale):
    return np.sum(np.abs(z) ** 2) * scale


def star_helper(*zs):
    return np.real(np.sum(zs[0] * zs[1]))


def calls_star_helper(z):
    return star_helper(z * 2.0, z)


def chosen_when_it_runs(z):
    energies = [energy_of, energy_of]
    return energies[0](z, 1.0)


def test_functions_of_yours_given_complex_values():
    """helper gets a complex z and returns a complex value; energy_of returns a real one (its own analysis)."""
    np.testing.assert_allclose(s2sad.grad(calls_helper)(Z), jax_convention(calls_helper, Z), rtol=1e-6)
    t = np.array([0.5j, 1.0, -0.3 + 0.2j])
    want = (calls_helper(Z + EPS * t) - calls_helper(Z - EPS * t)) / (2 * EPS)
    np.testing.assert_allclose(s2sad.jvp(calls_helper, (Z,), (t,))[1], want, rtol=1e-6)
    np.testing.assert_allclose(s2sad.grad(calls_star_helper)(Z), jax_convention(calls_star_helper, Z), rtol=1e-6)


def maximum_of(z):
    return np.real(np.sum(np.maximum(z, 0.0)))


def test_constructs_without_complex_support_are_refused_at_their_line():
    with pytest.raises(s2sad.S2SADError, match="inside a container"):
        s2sad.grad(in_a_dict)({"z": 1.0 + 2.0j})
    for f, text in ((chosen_when_it_runs, "energies[0]("), (maximum_of, "np.maximum")):
        for run in (lambda f=f: s2sad.grad(f)(Z), lambda f=f: s2sad.jvp(f, (Z,), (Z,))):
            with pytest.raises(s2sad.S2SADError, match="complex") as info:
                run()
            assert info.value.lineno == line_of(f, text)


def test_source_shows_the_complex_variant():
    text = s2sad.source(abs2, args=(Z,))
    assert text.startswith("# reverse mode wrt z, for complex arguments")
    assert "np.conj(z)" in text


# -- against JAX, where it is installed --------------------------------------------------------------------


def _jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax, pytest.importorskip("jax.numpy")


def test_grad_vjp_and_jvp_match_jax():
    jax, jnp = _jax()
    j_conj_prod = lambda z: jnp.real(jnp.sum(z * jnp.conj(z) * jnp.sin(z)))  # noqa: E731
    np.testing.assert_allclose(s2sad.grad(conj_prod)(Z), jax.grad(j_conj_prod)(Z), rtol=1e-12)
    j_holomorphic = lambda z: z ** 3 + jnp.exp(z) * 2.0 - 1.0 / z  # noqa: E731
    c = np.array([1.0 - 1j, 0.5j, 2.0])
    np.testing.assert_allclose(s2sad.vjp(holomorphic, Z)[1](c)[0], jax.vjp(j_holomorphic, Z)[1](c)[0], rtol=1e-12)
    j_not = lambda z: z * jnp.conj(z) + z  # noqa: E731
    np.testing.assert_allclose(s2sad.vjp(not_holomorphic, Z)[1](c)[0], jax.vjp(j_not, Z)[1](c)[0], rtol=1e-12)
    t = np.array([0.3j, 1.0, -0.5 + 0.5j])
    np.testing.assert_allclose(s2sad.jvp(not_holomorphic, (Z,), (t,))[1], jax.jvp(j_not, (Z,), (t,))[1], rtol=1e-12)
    np.testing.assert_allclose(s2sad.jacobian(holomorphic)(Z), jax.jacfwd(j_holomorphic, holomorphic=True)(Z),
                               rtol=1e-12)
    np.testing.assert_allclose(s2sad.jacobian(abs2, mode="reverse")(Z),
                               jax.jacrev(lambda z: jnp.sum(jnp.abs(z) ** 2))(Z), rtol=1e-12)


# -- random programs of complex-safe operations, against finite differences ----------------------------------

UNARY = ["np.sin({})", "np.exp(0.3 * {})", "np.sqrt({} + 2.0)", "np.tanh({})", "np.conj({})", "{} * {}",
         "np.log({} + 3.0)", "(1.0 - 0.5j) * {}", "np.cumsum({})", "np.flip({})", "{}.conj()", "np.abs({}) * {}"]
BINARY = ["{} + {}", "{} * {}", "{} - 0.5 * {}", "{} / ({} * {} + 4.0)"]
LAST = ["np.sum(np.abs({}) ** 2)", "np.real(np.sum({}))", "np.imag(np.sum({} * {}))", "np.sum(np.angle({} + 3.0))"]


def random_program(seed):
    rng = np.random.default_rng(seed)
    lines, names = [], ["z", "w"]
    for k in range(int(rng.integers(2, 6))):
        if rng.random() < 0.6:
            form = UNARY[rng.integers(len(UNARY))]
            a = names[rng.integers(len(names))]
            text = form.format(*[a] * form.count("{}"))
        else:
            form = BINARY[rng.integers(len(BINARY))]
            text = form.format(*[names[rng.integers(len(names))] for _ in range(form.count("{}"))])
        lines.append(f"    t{k} = {text}")
        names.append(f"t{k}")
    form = LAST[rng.integers(len(LAST))]
    lines.append("    return " + form.format(*[names[-1]] * form.count("{}")))
    return "import numpy as np\n\n\ndef f(z, w):\n" + "\n".join(lines) + "\n"


@pytest.mark.parametrize("seed", range(24))
def test_random_programs_against_finite_differences(seed, tmp_path, monkeypatch):
    import importlib
    (tmp_path / f"complex_program_{seed}.py").write_text(random_program(seed))
    monkeypatch.syspath_prepend(str(tmp_path))
    f = importlib.import_module(f"complex_program_{seed}").f
    w = np.array([0.4 - 0.3j, 0.1 + 0.8j, -0.6 + 0.2j])
    gz, gw = s2sad.grad(f, wrt=(0, 1))(Z * 0.5, w)
    np.testing.assert_allclose(gz, jax_convention(lambda z: f(z, w), Z * 0.5), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gw, jax_convention(lambda v: f(Z * 0.5, v), w), rtol=1e-5, atol=1e-6)
    t = np.array([0.2 - 0.1j, 1.0j, 0.5])
    want = (f(Z * 0.5 + EPS * t, w) - f(Z * 0.5 - EPS * t, w)) / (2 * EPS)
    np.testing.assert_allclose(s2sad.jvp(f, (Z * 0.5, w), (t, 0 * w))[1], want, rtol=1e-5, atol=1e-6)
