"""s2sad.tape_report and `s2sad dump --tape`: what reverse mode records, per loop and per iteration, in bytes.

The expected sizes are worked out by hand: a Python float is 24 bytes and a 1,000-float array owns
8,000 bytes of data plus its header (sys.getsizeof), and each record takes one 8-byte slot of the tape.
"""

import re
import sys

import numpy as np

import s2sad
from s2sad import tapes


def decay(x, a, n):
    for i in range(n):
        x = 0.9 * x + a * np.sin(x)
    return np.sum(x * x)


def logistic(v, n):
    for _ in range(n):
        v = 4.0 * v * (1.0 - v)
    return v


def no_loop(x):
    return np.sum(np.sin(x))


def two_loops(x, m):
    total = 0.0
    for i in range(m):
        for j in range(3):
            x = np.cos(x) * 0.5
        total = total + np.sum(x)
    return total


def decay_checkpointed(x, a, n):
    for i in s2sad.checkpointed(range(n), snapshots=3):
        x = 0.9 * x + a * np.sin(x)
    return np.sum(x * x)


LINE_DECAY = decay.__code__.co_firstlineno  # `def decay`: the loop is one line below, its update two


def number(text, pattern):
    found = re.search(pattern, text)
    assert found, (pattern, text)
    return int(found.group(1).replace(",", ""))


def test_an_array_loop_records_one_state_per_iteration_at_the_update_line():
    x = np.linspace(0.0, 1.0, 1000).copy()  # linspace makes a view: its copy owns its 8,000 bytes
    report = s2sad.tape_report(decay, x, 0.5, 7)
    per_state = sys.getsizeof(x.copy()) + tapes.SLOT  # 8,000 data + header + the tape's slot
    assert per_state == 8000 + sys.getsizeof(np.empty(0)) + 8
    assert f"loop at line {LINE_DECAY + 1} (for i in range(n):): 7 iterations, {7 * per_state:,} bytes, " \
           f"{per_state:,} bytes per iteration" in report
    assert f"line {LINE_DECAY + 2}: {per_state:,} bytes per record, 7 records" in report
    assert "x = 0.9 * x + a * np.sin(x)" in report
    assert number(report, r"at most ([\d,]+) bytes on the tapes") == 7 * per_state


def test_a_scalar_loop_records_32_bytes_per_iteration():
    report = s2sad.tape_report(logistic, 0.3, 100)
    assert "100 iterations, 3,200 bytes, 32 bytes per iteration" in report
    assert number(report, r"line \d+: ([\d,]+) bytes per record, 100 records") == 32


def test_records_scale_with_the_iterations_and_the_array_size():
    small = tapes.tape_records(decay, np.ones(10), 0.5, 4)
    large = tapes.tape_records(decay, np.ones(2000), 0.5, 8)
    (site_small,) = [s for s in small.sites.values() if s.records]
    (site_large,) = [s for s in large.sites.values() if s.records]
    assert (site_small.records, site_large.records) == (4, 8)
    assert site_large.bytes - 2 * site_small.bytes == 8 * (2000 - 10) * 8
    assert site_small.line == site_large.line == LINE_DECAY + 2


def test_nested_loops_are_reported_under_both_lines():
    report = s2sad.tape_report(two_loops, np.ones(100), 4)
    outer = two_loops.__code__.co_firstlineno + 2
    per = sys.getsizeof(np.ones(100)) + 8
    assert f"loop at line {outer} > line {outer + 1} (for j in range(3):): 12 iterations" in report
    assert f"line {outer + 2}: {per:,} bytes per record, 12 records" in report


def test_a_function_without_loops_records_nothing():
    report = s2sad.tape_report(no_loop, np.ones(5))
    assert "no loop records anything" in report
    assert "in all: 0 records, 0 bytes pushed" in report


def test_a_checkpointed_loop_holds_at_most_its_snapshots_on_the_tapes():
    x = np.linspace(0.0, 1.0, 1000).copy()
    records = tapes.tape_records(decay_checkpointed, x, 0.5, 50, wrt=(0, 1))
    state = sys.getsizeof(x)
    assert records.most <= 4 * state + 1000  # three snapshots, the state the last trip made, integers
    report = tapes.format_report(records)
    assert f"checkpointed loop at line {decay_checkpointed.__code__.co_firstlineno + 1}" in report
    taped = tapes.tape_records(decay, x, 0.5, 50, wrt=(0, 1))
    assert taped.most == 50 * (state + 8)


def test_checkpoint_option_reports_the_schedule():
    x = np.ones(1000)
    report = s2sad.tape_report(decay, x, 0.5, 20, checkpoint=2)
    assert f"checkpointed loop at line {LINE_DECAY + 1}" in report
    assert number(report, r"at most ([\d,]+) bytes on the tapes") <= 3 * sys.getsizeof(x) + 1000


LOOP_FILE = '''\
import numpy as np


def step_loss(x, n):
    for i in range(n):
        x = x + 0.1 * np.sin(x)
    return np.sum(x)
'''


def test_cli_dump_tape_prints_the_report(tmp_path, capsys):
    from s2sad import cli
    path = tmp_path / "loop.py"
    path.write_text(LOOP_FILE)
    assert cli.main(["dump", str(path), "--tape", "--at", "x=np.ones(500),n=12"]) == 0
    out = capsys.readouterr().out
    per = sys.getsizeof(np.ones(500)) + 8
    assert f"loop at line 5 (for i in range(n):): 12 iterations, {12 * per:,} bytes, {per:,} bytes per iteration" in out
    assert f"line 6: {per:,} bytes per record, 12 records    x = x + 0.1 * np.sin(x)" in out


def test_cli_dump_tape_without_a_point_is_an_error(tmp_path, capsys):
    from s2sad import cli
    path = tmp_path / "loop.py"
    path.write_text(LOOP_FILE)
    assert cli.main(["dump", str(path), "--tape"]) == 1
    assert "--tape needs the point" in capsys.readouterr().err
    assert cli.main(["dump", str(path), "--tape", "--at", "y=1.0"]) == 1
    assert "no value for x, n" in capsys.readouterr().err
