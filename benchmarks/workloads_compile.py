"""The compiler's own costs: transforming a function the first time, and calling a cached one.

Targets (issue: the compiler core): the first transformation of a 50-line straight-line
function under 50 ms; a cached call costs under 5 µs more than calling the generated
function directly.
"""

import math
import statistics
import time

from harness import Probe, ProbeRow, median_time

import s2sad
import s2sad.cache
import s2sad.driver


def fifty_lines(x):
    t0 = x * 0.5 + 1.0
    t1 = math.cos(0.5 * t0) - t0
    t2 = t1 / (1.0 + t0 * t0)
    t3 = t1 - 0.3 * t2 * x
    t4 = math.sqrt(1.0 + t3 * t3) + t3
    t5 = 0.5 * (t4 + t4) * t4
    t6 = t0 * t5 + 0.1
    t7 = math.tanh(0.5 * t6) - t4
    t8 = t7 / (1.0 + t0 * t0)
    t9 = t7 - 0.3 * t8 * x
    t10 = math.sqrt(1.0 + t9 * t9) + t4
    t11 = 0.5 * (t8 + t10) * t10
    t12 = t3 * t11 + 0.1
    t13 = math.cos(0.5 * t12) - t3
    t14 = t13 / (1.0 + t11 * t11)
    t15 = t7 - 0.3 * t14 * x
    t16 = math.sqrt(1.0 + t15 * t15) + t15
    t17 = 0.5 * (t12 + t16) * t16
    t18 = t4 * t17 + 0.1
    t19 = math.tanh(0.5 * t18) - t7
    t20 = t19 / (1.0 + t4 * t4)
    t21 = t16 - 0.3 * t20 * x
    t22 = math.sqrt(1.0 + t21 * t21) + t12
    t23 = 0.5 * (t0 + t22) * t22
    t24 = t21 * t23 + 0.1
    t25 = math.cos(0.5 * t24) - t24
    t26 = t25 / (1.0 + t2 * t2)
    t27 = t5 - 0.3 * t26 * x
    t28 = math.sqrt(1.0 + t27 * t27) + t24
    t29 = 0.5 * (t18 + t28) * t28
    t30 = t1 * t29 + 0.1
    t31 = math.tanh(0.5 * t30) - t9
    t32 = t31 / (1.0 + t1 * t1)
    t33 = t17 - 0.3 * t32 * x
    t34 = math.sqrt(1.0 + t33 * t33) + t30
    t35 = 0.5 * (t24 + t34) * t34
    t36 = t27 * t35 + 0.1
    t37 = math.cos(0.5 * t36) - t25
    t38 = t37 / (1.0 + t36 * t36)
    t39 = t28 - 0.3 * t38 * x
    t40 = math.sqrt(1.0 + t39 * t39) + t8
    t41 = 0.5 * (t23 + t40) * t40
    t42 = t6 * t41 + 0.1
    t43 = math.tanh(0.5 * t42) - t2
    t44 = t43 / (1.0 + t8 * t8)
    t45 = t31 - 0.3 * t44 * x
    t46 = math.sqrt(1.0 + t45 * t45) + t13
    t47 = 0.5 * (t16 + t46) * t46
    t48 = t43 * t47 + 0.1
    return t48 + t47 * x


def small(x):
    return x * x + math.sin(x)


def transform_time(settings):
    """First s2sad.grad(f)(x) after the cache is cleared, minus a cached call; median of rounds."""
    x = 0.3
    s2sad.cache.clear()
    start = time.perf_counter()
    s2sad.grad(fifty_lines)(x)
    first_in_process = time.perf_counter() - start

    def cached_call():
        return s2sad.grad(fifty_lines)(x)

    cached = median_time(cached_call, settings=settings)
    firsts = []
    for _ in range(settings.repeats):
        s2sad.cache.clear()
        start = time.perf_counter()
        s2sad.grad(fifty_lines)(x)
        firsts.append(time.perf_counter() - start)
    value = statistics.median(firsts) - cached
    reverse = []  # grad of one float runs forward mode: the reverse transform of the same function, timed apart
    kinds = s2sad.shapes.kinds_of((x,)) + (s2sad.shapes.GRAD_SEED,)
    for _ in range(settings.repeats):
        s2sad.cache.clear()
        start = time.perf_counter()
        s2sad.driver.derivative(fifty_lines, "reverse", ("x",), with_value=True, kinds=kinds)
        reverse.append(time.perf_counter() - start)
    return [ProbeRow("transform_50_lines", "first s2sad.grad(f)(x) − cached call", value * 1e3, "ms", 50.0,
                     f"median of {len(firsts)} (cache cleared each time); grad of one float: forward mode; first in "
                     f"this process {(first_in_process - cached) * 1e3:.1f} ms; cached call {cached * 1e6:.1f} µs"),
            ProbeRow("transform_50_lines_reverse", "reverse-mode transform of the same function",
                     statistics.median(reverse) * 1e3, "ms", 50.0,
                     f"median of {len(reverse)} (cache cleared each time): what grad runs for array arguments")]


def call_overhead(settings):
    """Cached s2sad.grad(f)(x), and a prebuilt g(x), minus the generated function called directly."""
    x = 0.3
    # the generated function grad runs for a float argument, specialized to its kind (forward mode, its tangent
    # 1.0 by default)
    direct = s2sad.api._grad_variant(small, ("x",), s2sad.shapes.kinds_of((x,))).function
    g = s2sad.grad(small)
    g(x)

    def api_call():
        return s2sad.grad(small)(x)

    times = {}
    for _ in range(3):  # interleave, as the timing table does
        for key, fn, args in (("direct", direct, (x,)), ("api", api_call, ()), ("prebuilt", g, (x,))):
            times.setdefault(key, []).append(median_time(fn, args, settings))
    t = {k: statistics.median(v) for k, v in times.items()}
    note = f"generated function alone {t['direct'] * 1e6:.2f} µs"
    return [
        ProbeRow("cached_call_overhead", "s2sad.grad(f)(x) − generated fn(x)", (t["api"] - t["direct"]) * 1e6,
                 "µs", 5.0, note),
        ProbeRow("prebuilt_call_overhead", "g(x), g = s2sad.grad(f) built once, − generated fn",
                 (t["prebuilt"] - t["direct"]) * 1e6, "µs", None, note),
    ]


def workloads(quick=False):
    return [
        Probe("transform_50_lines", "compile", transform_time, "first grad of a 50-line function, cache cleared"),
        Probe("call_overhead", "compile", call_overhead, "cached s2sad.grad(f)(x) vs the generated function"),
    ]
