"""The fitted unit model: how likely a unit is to hold the answer, from its features.

A logistic regression fitted by bench/fit_answer_model.py on the tune question sets
(cross-validated by question); its weights, the features' scaling and the thresholds the fit
chose (when to abstain, when a second unit joins a factoid answer) are read from
assistant/answering/data/unit_model.json. No weight or margin is set by hand."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from assistant.answering.features import FEATURES

MODEL_FILE = Path(__file__).resolve().parent / "data" / "unit_model.json"


class ModelMismatch(RuntimeError):
    """The weights file was fitted on other features than the code computes."""


@dataclass(frozen=True)
class Thresholds:
    """Chosen by the fit, end to end on the tune sets (bench/FIT.md)."""

    abstain_below: float  # the best unit's probability under which the engine abstains
    join_ratio: float  # a runner-up at this share of the best's probability joins a factoid
    list_ratio: float  # a list whose best unit reaches this share of the best answers
    summary_ratio: float  # passages whose best unit reaches this share may be summarised


@dataclass(frozen=True)
class UnitModel:
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    intercept: float
    thresholds: Thresholds

    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        if matrix.shape[0] == 0:
            return np.zeros(0)
        logits = ((matrix - self.mean) / self.scale) @ self.weights + self.intercept
        return 1.0 / (1.0 + np.exp(-logits))


def model_from_dict(data: dict[str, object]) -> UnitModel:
    features = tuple(str(f) for f in data["features"])  # type: ignore[attr-defined]
    if features != FEATURES:
        raise ModelMismatch(f"{MODEL_FILE.name} was fitted on other features; refit it with "
                            "bench/fit_answer_model.py")
    thresholds = data["thresholds"]
    assert isinstance(thresholds, dict)
    return UnitModel(
        features, np.asarray(data["mean"], dtype=np.float64),
        np.asarray(data["scale"], dtype=np.float64),
        np.asarray(data["weights"], dtype=np.float64), float(data["intercept"]),  # type: ignore[arg-type]
        Thresholds(**{k: float(v) for k, v in thresholds.items()}),
    )


@cache
def unit_model() -> UnitModel:
    return model_from_dict(json.loads(MODEL_FILE.read_text(encoding="utf-8")))
