"""The fuzzer's library forms (issue 13): NumPy functions with rules of their own (linalg, fft, convolve,
interp, polyval, ...), complex intermediates of a real function, and SciPy's special functions, linear
algebra and distributions when SciPy is importable.

Each form is a template over `{v}`, `{w}` (vectors of 4), `{s}`, `{t}` (floats). Inputs are kept where the
rule is smooth: matrices are 2 * I plus a bounded part (invertible, distinct eigen- and singular values),
logs and gammas see `e * e + 1.0`, probabilities go through `expit`. A mixin of `generator._Gen`.
"""

import importlib.util

from .expressions import S, V

HAVE_SCIPY = importlib.util.find_spec("scipy") is not None

M = "(np.eye(2) * 2.0 + 0.3 * np.tanh({v}).reshape(2, 2))"  # invertible, well conditioned
SYM = "(np.diag([1.0, 3.0]) + 0.2 * (np.tanh({v}).reshape(2, 2) + np.tanh({v}).reshape(2, 2).T))"  # eigenvalues apart
DESIGN = "(np.stack([np.linspace(-1.0, 1.0, 4), np.ones(4)], axis=1) + 0.1 * np.tanh({v}).reshape(4, 1))"
SPECTRUM = "np.array([1.0, 0.5, 0.25])"

SCALAR_FORMS = [
    f"np.linalg.det({M})",
    f"np.sum(np.linalg.solve({M}, ({{w}})[:2]))",
    f"np.sum(np.linalg.inv({M}) @ ({{w}})[2:])",
    f"np.sum(np.linalg.eigh({SYM})[0] ** 2)",
    f"np.sum(np.linalg.eigh({SYM})[1] ** 2 * ({{w}})[:2])",
    f"np.sum(np.linalg.svd({SYM.replace('+ np.tanh', '- np.tanh')}, full_matrices=False)[1])",
    f"np.sum(np.linalg.pinv({M}))",
    f"np.trace(np.linalg.qr({M})[1])",
    f"np.sum(np.linalg.lstsq({DESIGN}, {{w}}, rcond=None)[0])",
    f"np.linalg.norm({M})",
    "np.sum(np.convolve({v}, {w}))",
    "np.sum(np.correlate({v}, {w}, mode=\"full\") ** 2)",
    "np.interp({s}, np.linspace(-1.0, 1.0, 4), {v})",
    "np.polyval({v}, {s})",
    "np.sum(np.gradient({v}) * {w})",
    "np.sum(np.append({v}, {s}) ** 2)",
    "np.sum(np.kron(({v})[:2], ({w})[2:]))",
    "np.sum(np.cross(({v})[:3], ({w})[1:]))",
    "np.einsum(\"i,i->\", {v}, {w})",
    "np.einsum({v}, [0], {w}, [0], [])",
    "np.sum(np.nan_to_num({v}) * {w})",
    "np.sum(np.r_[({v})[:2], ({w})[1:3]] ** 2)",
    "np.sum(np.select([{v} > 0.0], [{v} ** 2], default={s}))",
    "np.sum(np.partition({v}, 2)[:2])",
    "sum(sorted([{s}, {t}, {s} * {t}]))",
    "sorted([{s}, {t}, 0.3])[0]",
    "np.sum(np.rollaxis(({v}).reshape(2, 2), 1) * ({w}).reshape(2, 2))",
]

VECTOR_FORMS = [
    f"np.concatenate([np.linalg.solve({M}, ({{w}})[:2]), ({{w}})[2:]])",
    f"np.linalg.inv({M}).ravel()",
    "np.convolve({v}, {w}, mode=\"same\")",
    "np.gradient({v})",
    "np.nan_to_num({v})",
    "np.r_[({v})[:2], ({w})[2:]]",
    "np.kron(({v})[:2], ({w})[2:])",
    "np.partition({v}, 1)",
    "np.einsum(\"ij->ji\", ({v}).reshape(2, 2)).ravel()",
]

# Complex intermediates of a real function (JAX's convention, docs/complex.md). A function that makes complex
# values takes the result of any call of a function of yours as possibly complex, and refuses it where a real
# rule meets it (docs/limitations.md): these forms are drawn only in `cplx1`, a helper that calls none.
COMPLEX_FORMS = [
    "np.sum(np.abs(np.fft.rfft({v})) ** 2)",
    f"np.sum(np.fft.irfft(np.fft.rfft({{v}}) * {SPECTRUM}, n=4) * {{w}})",
    "np.sum(np.real(np.fft.ifft(np.fft.fft({v}) * np.array([1.0, 0.5, 0.2, 0.5]))))",
    "np.abs({s} + 1j * ({t} + 0.5))",
    "np.sum(np.real({v} * np.exp(1j * {w}) * np.conj({v} * np.exp(1j * {w}))))",
    "np.sum(np.abs({v} + 1j * {w} ** 2))",
    "np.sum(np.angle({v} + 1j * (np.abs({w}) + 0.5)))",
    f"np.sum(np.fft.irfft(np.fft.rfft({{v}}) * {SPECTRUM}, n=4) ** 2)",
    "np.sum(np.abs({v} + 1j * ({w} + 2.0)) * {w})",
    "np.sum(np.real({v} * np.exp(1j * {w})))",
]

SCIPY_SCALAR = [
    "scipy.special.gammaln({s} * {s} + 1.0)",
    "scipy.special.digamma({s} * {s} + 1.0)",
    "scipy.special.polygamma(1, {s} * {s} + 1.0)",
    "np.sum(scipy.special.erf({v}) + scipy.special.erfc({w}))",
    "scipy.special.erfinv(0.5 * np.tanh({s}))",
    "scipy.special.logit(0.25 + 0.5 * scipy.special.expit({s}))",
    "scipy.special.logsumexp({v})",
    "np.sum(scipy.special.xlogy({v} * {v} + 1.0, {w} * {w} + 1.0))",
    "np.sum(scipy.special.xlog1py({v}, {w} * {w}))",
    "scipy.special.betaln({s} * {s} + 1.0, {t} * {t} + 0.5)",
    "np.sum(scipy.special.i0e({v}) + scipy.special.i1e({w}))",
    "np.sum(scipy.special.softmax({v}) * {w})",
    "np.sum(scipy.special.log_softmax({v}) * {w})",
    f"np.sum(scipy.linalg.solve({M}, ({{w}})[:2]))",
    f"np.sum(scipy.linalg.solve_triangular(np.triu({M}), ({{w}})[:2]))",
    f"np.sum(scipy.linalg.cho_solve(scipy.linalg.cho_factor({SYM}), ({{w}})[:2]))",
    f"np.sum(scipy.linalg.lu_solve(scipy.linalg.lu_factor({M}), ({{w}})[2:]))",
    f"np.sum(scipy.linalg.expm(0.3 * {M}))",
    f"scipy.linalg.det({M})",
    f"np.sum(scipy.linalg.inv({M}))",
    "np.sum(scipy.stats.norm.logpdf({v}, loc={s}, scale=1.5))",
    "np.sum(scipy.stats.t.logpdf({v}, 3.0))",
    "np.sum(scipy.stats.gamma.logpdf({v} * {v} + 0.5, 2.0))",
    "np.sum(scipy.stats.beta.logpdf(0.25 + 0.5 * scipy.special.expit({v}), 2.0, 3.0))",
    "scipy.stats.multivariate_normal.logpdf(({v})[:2], mean=({w})[2:], cov=np.eye(2))",
]

SCIPY_VECTOR = [
    "scipy.special.expit({v})",
    "scipy.special.softmax({v})",
    "scipy.special.erf({v})",
]

SCIPY_IMPORTS = "import scipy.linalg\nimport scipy.special\nimport scipy.stats\n"


class Library:
    """A library form of kind S or V, its operands drawn as the other expressions are."""

    def library(self, scope, kind, depth, forms=None):
        """One form, with fresh operands (`{v}` may appear twice: it is then the same text twice)."""
        if forms is None:
            forms = SCALAR_FORMS if kind == S else VECTOR_FORMS
            if HAVE_SCIPY:
                forms = forms + (SCIPY_SCALAR if kind == S else SCIPY_VECTOR)
        form = self.extra.choice(forms)
        if "scipy." in form:
            self.uses_scipy = True
        operands = {"v": self.expr(scope, V, depth), "w": self.expr(scope, V, depth),
                    "s": self.expr(scope, S, depth), "t": self.expr(scope, S, depth)}
        return form.format(**{k: f"({e})" if " " in e else e for k, e in operands.items()})

    def complex_helper(self, rng):
        """`cplx1(a, b)`, a float of a vector and a float through complex intermediates (its own rng): a sum of
        one or two complex forms over expressions of a and b, called like any helper."""
        from .generator import _Scope

        main, self.rng = self.rng, rng
        self.used = {"a", "b", "i", "j", "k", "e"}
        scope = _Scope([("a", V), ("b", S)])
        terms = [self.library(scope, S, 1, COMPLEX_FORMS) for _ in range(rng.choice([1, 2]))]
        self.rng = main
        self.helper("cplx1", "def cplx1(a, b):\n    return " + " + ".join(terms), ([V, S], S, []))
