"""Start-up to first answered EC2 call stays within 1.5 s (best of two cold starts)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from measure_startup import measure_once  # noqa: E402


def test_startup_to_first_ec2_call_within_budget():
    best = min(measure_once() for _ in range(2))
    assert best <= 1.5, f"start-up to first answered EC2 call took {best:.2f}s"
