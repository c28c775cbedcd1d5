"""A differential fuzzer for s2sad: random supported programs, every derivative checked, failures shrunk.

generator.py writes the programs, check.py checks one, shrink.py makes a failure small,
campaign.py runs many; `python -m s2sad.fuzz --help` runs it (docs/fuzzing.md).
"""

from .campaign import Summary, check_file, run
from .check import OUTCOMES, Result, check
from .generator import Program, generate

__all__ = ["OUTCOMES", "Program", "Result", "Summary", "check", "check_file", "generate", "run"]
