"""A cold start answers its first signed EC2 call (how fast is measured by `make bench`, not here:
a timed assertion fails on a loaded machine without saying anything about the code)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from measure_startup import measure_once  # noqa: E402


def test_cold_start_answers_first_ec2_call():
    seconds = measure_once()
    assert seconds > 0.0
