"""A fixed-seed slice of the differential fuzzer, and the shrunk cases it found (docs/fuzzing.md).

Each seed's program is checked in every mode (reverse against complex step or finite
differences, forward by the dot-product test, general and unoptimized code against grad, and
every fourth seed the Hessian); none may be WRONG or CRASH, and fewer than 5% refused.
Long campaigns: `python -m s2sad.fuzz --count 20000 --seed 0 --hessian`.
"""

import glob
import os
import tempfile

import pytest

from s2sad.fuzz import check, check_file, generate
from s2sad.fuzz.shrink import shrink

SEEDS = range(80)
CASES = sorted(glob.glob(os.path.join(os.path.dirname(__file__), "fuzz_cases", "*.py")))

@pytest.fixture(scope="module")
def workdir():
    with tempfile.TemporaryDirectory(prefix="s2sad-fuzz-") as path:
        yield path


@pytest.fixture(scope="module")
def results(workdir):
    """Every seed of the slice checked once, shared by the tests below."""
    return {seed: check(generate(seed), workdir, hessian=seed % 4 == 0) for seed in SEEDS}


@pytest.mark.parametrize("seed", SEEDS)
def test_seed_is_neither_wrong_nor_a_crash(results, seed):
    result = results[seed]
    assert result.outcome not in ("WRONG", "CRASH", "INVALID"), f"seed {seed}: {result.key}: {result.detail}"


def test_refusals_stay_under_five_percent(results):
    refused = [s for s, r in results.items() if r.outcome == "REFUSED"]
    assert len(refused) < 0.05 * len(results), f"refused: {refused}"


def test_the_generator_is_deterministic():
    assert generate(7).source == generate(7).source
    assert generate(7).source != generate(8).source


# issue 13's constructs (s2sad/fuzz/constructs.py, library.py), each with a piece of text that shows it
CONSTRUCTS = {
    "generator expression": " for m in range(", "comprehension with a condition": " if m != ",
    "for/while else": "else:\n", "walrus": " := ", "assert": "assert ", "errstate": "with np.errstate(",
    "import inside": "from numpy import ", "set of constants": " in {0, ", "recursion, data-dependent": "halve1(",
    "mutual recursion": "def odd1(", "pairwise recursion": "pair1(", "*args / **kwargs": "**options",
    "function-valued default": "reduce=np.", "function passed": "apply2(", "functools.reduce": "functools.reduce(",
    "nested functions": "def outer", "lambda": "lambda u:", "namedtuple": "Rec(", "dataclass": "class Box",
    "object": "class Holder", "has_aux": "def f_aux", "linalg": "np.linalg.", "fft": "np.fft.", "complex": "1j",
    "convolve": "np.convolve(", "einsum sublists": "[0], [])", "sorted": "sorted([",
}


def test_the_generator_draws_issue_13s_constructs():
    sources = "\n".join(generate(seed).source for seed in range(400))
    missing = [name for name, text in CONSTRUCTS.items() if text not in sources]
    assert not missing, f"never drawn in 400 programs: {missing}"


@pytest.mark.parametrize("path", CASES, ids=os.path.basename)
def test_shrunk_case(path):
    result = check_file(path)
    assert result.outcome in ("OK", "KINK"), f"{result.key}: {result.detail}"


PLANTED = '''import numpy as np

import s2sad


@s2sad.custom_vjp
def g(a):
    return np.sin(a)


def g_fwd(a):
    return np.sin(a), (a,)


def g_bwd(residuals, ct):
    (a,) = residuals
    return (FACTOR * ct * np.cos(a),)


g.defvjp(g_fwd, g_bwd)


@g.defjvp
def g_jvp(primals, tangents):
    (a,), (a_dot,) = primals, tangents
    return np.sin(a), a_dot * np.cos(a)


def f(x, y):
    return g(x) * y
'''


@pytest.mark.parametrize("factor, outcome", [("1.0", "OK"), ("2.0", "WRONG")])
def test_the_checker_catches_a_planted_wrong_rule(workdir, factor, outcome):
    """A custom rule off by a factor 2 must come out WRONG, the right one OK: the checks can fail."""
    program = generate(0).with_source(PLANTED.replace("FACTOR", factor))
    program.args = (0.7, 1.3)
    result = check(program, workdir)
    assert result.outcome == outcome, result.detail


CANCELS = """import numpy as np


def f(x, y):
    a = np.zeros(3)
    a[2] = y
    a = a + 1e13 * x
    a = a - a[0]
    return np.sum(a) + x
"""


def test_rounding_of_a_huge_intermediate_is_a_kink_not_wrong(workdir):
    """a grows to 1e13 and cancels to [0, 0, y]: central differences read d/dy = 0 or thousands, the
    exact gradient is (1, 1) (s2sad's), so the checker must not trust them (seed 2013544 came out WRONG).
    Complex step cannot run f: it stores y into a float array."""
    import s2sad

    program = generate(0).with_source(CANCELS)
    program.args = (0.3, -1.17)
    assert s2sad.grad(program_function(CANCELS, workdir), wrt=(0, 1))(0.3, -1.17) == (1.0, 1.0)
    result = check(program, workdir)
    assert (result.outcome, result.check) == ("KINK", "rounding"), result.detail


def program_function(source, workdir):
    from s2sad.fuzz.check import load

    return load(source, workdir).f


def test_the_shrinker_keeps_only_what_fails():
    source = ("import numpy as np\n\n\ndef f(x, y):\n    a = np.sin(x)\n    b = np.cos(y) * a\n    c = a + b\n"
              "    return c\n")
    small = shrink(source, lambda text: "np.cos" in text)
    assert "np.cos" in small and "np.sin" not in small and "c = " not in small


def test_equal_functions_of_two_modules_keep_their_own_globals(workdir):
    """Found by the planted-rule test: code objects compare equal across modules (not by file name)."""
    import s2sad
    from s2sad.fuzz.check import load

    source = "C = {}\n\n\ndef f(x):\n    return C * x * x\n"
    one, two = load(source.format(1.0), workdir), load(source.format(2.0), workdir)
    assert s2sad.grad(one.f)(1.0) == 2.0
    assert s2sad.grad(two.f)(1.0) == 4.0


SCALAR_LOOP = '''import numpy as np


def f(x, y):
    s = x
    for i in range(3):
        s = s * y + np.sin(x * s)
    return s
'''

WITH_A_DICT = '''def f(x, y):
    d = {"p": x * y, "q": y}
    return d["p"] * d["q"]
'''


def test_numba_backend_checked_against_the_numpy_backend(workdir):
    """`--backend numba`: grad(f, backend="numba") must equal the checked NumPy-backend gradient; what
    numba does not compile is REFUSED at the check "numba", never WRONG."""
    pytest.importorskip("numba")
    program = generate(0).with_source(SCALAR_LOOP)
    program.args = (0.3, -0.7)
    result = check(program, workdir, backend="numba")
    assert result.outcome == "OK", result.detail
    program = generate(0).with_source(WITH_A_DICT)
    program.args = (0.3, -0.7)
    assert check(program, workdir).outcome == "OK"
    result = check(program, workdir, backend="numba")
    assert (result.outcome, result.check) == ("REFUSED", "numba"), result.detail


CHECKPOINTED = [(seed, 1) for seed in range(4)] + [(seed, 3) for seed in range(4, 8)]


@pytest.mark.parametrize("seed, snapshots", CHECKPOINTED)
def test_checkpointed_gradient_equals_the_taped_one(workdir, seed, snapshots):
    """`--checkpoint K` (issue 14): grad(f, checkpoint=K), every loop of f (most of these programs have a
    `for` or `while` loop) with at most K saved states, equals the taped gradient to 1e-12 relative, itself
    checked against an independent reference; a construct checkpointing refuses is REFUSED, never WRONG."""
    result = check(generate(seed), workdir, checkpoint=snapshots)
    assert result.outcome not in ("WRONG", "CRASH", "INVALID"), f"seed {seed}: {result.key}: {result.detail}"


def test_checkpoint_check_on_a_scalar_loop(workdir):
    """The scalar loop: s = s * y + sin(x * s), three trips, one saved state, recomputed twice."""
    program = generate(0).with_source(SCALAR_LOOP)
    program.args = (0.3, -0.7)
    result = check(program, workdir, checkpoint=1)
    assert result.outcome == "OK", result.detail
