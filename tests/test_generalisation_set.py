"""The generalisation set's data (bench/generalisation/: real pages and the questions written
from them) and the objective the unit model's thresholds are chosen by."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))


def test_every_half_of_the_generalisation_set_is_valid() -> None:
    """check_set.py validates each half it finds (tune to tune5, frozen to frozen6):
    evidence in the documents, facts matching them, sources listed with their
    addresses."""
    done = subprocess.run([sys.executable, str(ROOT / "bench/generalisation/check_set.py")],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout[-2000:]
    halves = {line.split(":")[0] for line in done.stdout.splitlines() if "questions," in line}
    assert {"tune", "tune2", "tune3", "tune4", "tune5", "frozen", "frozen2", "frozen3",
            "frozen4", "frozen5", "frozen6"} <= halves


def test_the_thresholds_objective_is_the_shortfall_from_the_targets() -> None:
    from fit_answer_model import target_shortfall

    met = {"answer_accuracy": 0.9, "abstain_correct": 0.95, "false_abstain": 0.01}
    assert target_shortfall(met) == 0.0
    short = {"answer_accuracy": 0.75, "abstain_correct": 0.8, "false_abstain": 0.15}
    assert target_shortfall(short) == pytest.approx(0.1 + 0.1 + 0.1)


def test_a_lone_peak_on_the_grid_is_smoothed_away() -> None:
    from fit_answer_model import smoothed

    values = [0.40, 0.50, 0.51, 0.50, 0.40, 0.60, 0.40]
    best = max(range(len(values)), key=lambda i: smoothed(values)[i])
    assert best == 2  # the plateau, not the lone 0.60


def test_the_strongest_regularisation_within_one_standard_error_is_chosen() -> None:
    from fit_answer_model import one_standard_error_choice

    # one question of 270 apart: noise, the strongest regularisation stays
    tops = {0.03: 0.707, 0.1: 0.707, 0.3: 0.711, 1.0: 0.707}
    assert one_standard_error_choice(tops, 270) == 0.03
    # far beyond the standard error (0.028 here): the better C is chosen
    assert one_standard_error_choice({0.03: 0.60, 0.1: 0.70, 0.3: 0.71}, 270) == 0.1
    assert one_standard_error_choice({0.03: 0.50, 1.0: 0.50}, 0) == 0.03
