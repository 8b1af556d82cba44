"""Unit features (assistant/answering/features.py) and the unit model that weighs them
(assistant/answering/model.py). No assertion reads the fitted weights or thresholds: they
change on every refit (bench/fit_answer_model.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pytest
from engine_fakes import (
    HAND_THRESHOLDS,
    Doc,
    bullet_doc,
    hand_model,
    idf_of,
    model_dict,
    vector,
)

from assistant.answering.features import (
    FEATURES,
    QuestionContext,
    feature_matrix,
    is_heading_like,
    said_words,
)
from assistant.answering.model import (
    MODEL_FILE,
    ModelMismatch,
    Thresholds,
    UnitModel,
    model_from_dict,
    unit_model,
)
from assistant.answering.profile import profile_question
from assistant.core.types import Unit

HISTORY = Doc("moc", [
    "Le Mouvement ouvrier chrétien rassemble cinq organisations constitutives.",
    "Le MOC a été fondé en 1921.",
    "Son siège est à Bruxelles.",
], "MOC", 1)
HEADING = Doc("moc-titre", ["Nos mouvements", "Le MOC rassemble des mouvements."], "MOC", 2,
              separator="\n")


def matrix(question: str, language: str, docs: Sequence[Doc], said: Sequence[str] = ()
           ) -> tuple[np.ndarray, list[Unit]]:
    table, top = idf_of(docs) if docs else ({}, 1.0)
    context = QuestionContext(profile_question(question, language), vector(question),
                              lambda stem: table.get(stem, top), said_words(said))
    units = [u for d in docs for u in d.units()]
    return feature_matrix(units, context), units


def column(rows: np.ndarray, name: str) -> list[float]:
    return [float(v) for v in rows[:, FEATURES.index(name)]]


def test_the_matrix_has_one_column_per_feature() -> None:
    rows, units = matrix("Quand le MOC a-t-il été fondé ?", "fr", [HISTORY, HEADING])
    assert rows.shape == (len(units), len(FEATURES))
    assert len(set(FEATURES)) == len(FEATURES)
    assert np.isfinite(rows).all()
    empty, _ = matrix("Quand le MOC a-t-il été fondé ?", "fr", [])
    assert empty.shape == (0, len(FEATURES))


def test_a_unit_holding_the_type_asked_for_matches_it() -> None:
    rows, units = matrix("Quand le MOC a-t-il été fondé ?", "fr", [HISTORY])
    texts = [u.text for u in units]
    founded = texts.index("Le MOC a été fondé en 1921.")
    assert column(rows, "type_match")[founded] == 1.0
    assert column(rows, "type_missing")[founded] == 0.0
    for i, _ in enumerate(units):
        if i != founded:
            assert column(rows, "type_match")[i] == 0.0
            assert column(rows, "type_missing")[i] == 1.0
            assert column(rows, "type_near")[i] == 1.0  # the year is in the next/previous one


def test_a_question_asking_no_type_matches_none() -> None:
    rows, _ = matrix("Que fait le MOC ?", "fr", [HISTORY])
    for name in ("type_match", "type_missing", "type_near"):
        assert set(column(rows, name)) == {0.0}


def test_headings_are_short_lines_not_ended_like_a_sentence() -> None:
    rows, units = matrix("Quels sont les mouvements du MOC ?", "fr", [HEADING])
    assert column(rows, "heading_like") == [1.0, 0.0]
    assert is_heading_like("Nos stratégies")
    assert is_heading_like("Formations :") is False  # a lead-in, ended by ":"
    assert not is_heading_like("Le MOC a été fondé en 1921.")
    assert not is_heading_like("Le Mouvement ouvrier chrétien et ses organisations constitutives "
                               "dans toute la Wallonie et à Bruxelles")  # too long for one


def test_said_before_reads_the_conversations_answers() -> None:
    question = "Et où se trouve son siège ?"
    said = ["Le MOC a été fondé en 1921. [1]"]
    rows, units = matrix(question, "fr", [HISTORY], said=said)
    texts = [u.text for u in units]
    repeated = column(rows, "said_before")
    assert repeated[texts.index("Le MOC a été fondé en 1921.")] > 0.5
    assert repeated[texts.index("Son siège est à Bruxelles.")] == 0.0
    fresh, _ = matrix(question, "fr", [HISTORY])
    assert set(column(fresh, "said_before")) == {0.0}


def test_said_words_drop_the_citation_markers() -> None:
    words = said_words(["Le MOC a été fondé en 1921. [12]", "Il rassemble cinq organisations."])
    assert {"moc", "fonde", "1921", "rassemble", "organisations"} <= words
    assert "12" not in words and "[12]" not in words
    assert said_words([]) == frozenset()


def test_position_rank_and_list_features() -> None:
    members = bullet_doc("membres", "Le MOC rassemble :", ["la CSC ;", "la JOC ;"], "MOC", 3)
    rows, units = matrix("Quelles organisations le MOC rassemble-t-il ?", "fr",
                         [HISTORY, members])
    assert column(rows, "first_in_passage") == [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    assert column(rows, "list_item") == [0.0, 0.0, 0.0, 0.0, 1.0, 1.0]
    assert column(rows, "rank_prior") == pytest.approx([1.0] * 3 + [1 / 3] * 3)
    lengths = column(rows, "log_length")
    assert lengths == pytest.approx([float(np.log(1 + len(u.text))) for u in units])


def test_the_closest_unit_has_no_dense_gap() -> None:
    rows, _ = matrix("Quand le MOC a-t-il été fondé ?", "fr", [HISTORY, HEADING])
    dense, gap = np.array(column(rows, "dense")), np.array(column(rows, "dense_gap"))
    assert gap.max() == pytest.approx(0.0, abs=1e-6)
    assert gap == pytest.approx(dense - dense.max(), abs=1e-6)


def test_the_alone_features_read_the_units_own_vector() -> None:
    """A unit's own vector (embedded alone) gives dense_alone; without one, the pooled
    vector serves for both."""
    question = "Quand le MOC a-t-il été fondé ?"
    pooled_only, units = matrix(question, "fr", [HISTORY])
    assert column(pooled_only, "dense_alone") == pytest.approx(column(pooled_only, "dense"))
    own = vector("Le MOC a été fondé en 1921.")  # the question's closest, for every unit
    table, top = idf_of([HISTORY])
    context = QuestionContext(profile_question(question, "fr"), vector(question),
                              lambda stem: table.get(stem, top))
    alone = [Unit(u.passage, u.index, u.text, u.vector, u.kind, own) for u in units]
    rows = feature_matrix(alone, context)
    assert column(rows, "dense") == pytest.approx(column(pooled_only, "dense"))
    expected = float(np.dot(own, vector(question)))
    assert column(rows, "dense_alone") == pytest.approx([expected] * len(units), abs=1e-6)
    assert column(rows, "dense_alone_gap") == pytest.approx([0.0] * len(units), abs=1e-6)


def test_a_stored_unit_row_is_split_into_its_pooled_and_own_vectors() -> None:
    from assistant.retrieval.units import unit_of

    passage = HISTORY.passage
    unit = unit_of(passage, 0, "Le MOC a été fondé en 1921.", [1.0, 0.0, 0.0, 1.0], "sentence")
    assert unit.vector.tolist() == [1.0, 0.0] and unit.alone_vector.tolist() == [0.0, 1.0]
    # written before pipeline 9: the pooled vector alone, which serves for both
    old = unit_of(passage, 0, "Le MOC a été fondé en 1921.", [1.0, 0.0], "sentence", vectors=1)
    assert old.vector.tolist() == old.alone_vector.tolist() == [1.0, 0.0]


def test_cross_language_features() -> None:
    english = Doc("en", ["The MOC was founded in 1921."], "MOC", 1, language="en")
    rows, _ = matrix("Quand le MOC a-t-il été fondé ?", "fr", [HISTORY, english])
    cross = column(rows, "cross_language")
    assert cross == [0.0, 0.0, 0.0, 1.0]
    assert column(rows, "dense_x_cross")[:3] == [0.0, 0.0, 0.0]
    assert column(rows, "dense_x_cross")[3] == pytest.approx(column(rows, "dense")[3])
    assert column(rows, "coverage_x_same")[3] == 0.0
    assert column(rows, "rarest_missing")[3] == 0.0  # words cannot match across languages


def test_defines_and_names_features() -> None:
    ciep = Doc("ciep", ["Le CIEP est le service d'éducation permanente du MOC.",
                        "Il propose des formations pour adultes."], "MOC", 1)
    rows, _ = matrix("Le CIEP, c'est quoi ?", "fr", [ciep])
    assert column(rows, "defines") == [1.0, 0.0]
    assert column(rows, "names_unit") == [1.0, 0.0]
    assert column(rows, "names_passage") == [1.0, 1.0]
    other, _ = matrix("Que fait le CIEP pour les jeunes ?", "fr", [ciep])
    assert column(other, "defines") == [0.0, 0.0]  # no definition question


# ----------------------------------------------------------------------------- the model


def test_the_model_file_is_fitted_on_the_features_the_code_computes() -> None:
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    assert tuple(data["features"]) == FEATURES
    for key in ("mean", "scale", "weights"):
        assert len(data[key]) == len(FEATURES), key
    assert set(data["thresholds"]) == {f.name for f in Thresholds.__dataclass_fields__.values()}
    model = unit_model()
    assert model.features == FEATURES
    for value in vars(model.thresholds).values():
        assert 0.0 <= value <= 1.0


@pytest.mark.parametrize("features", [
    list(reversed(FEATURES)),  # another order
    list(FEATURES[:-1]),  # one missing
    [*FEATURES, "new_feature"],  # one more
])
def test_a_model_fitted_on_other_features_is_refused(features: list[str]) -> None:
    data = model_dict()
    data["features"] = features
    with pytest.raises(ModelMismatch):
        model_from_dict(data)


def test_probabilities_are_the_logistic_of_the_scaled_features() -> None:
    model = hand_model({"coverage": 2.0, "type_missing": -1.0}, intercept=-1.0)
    assert isinstance(model, UnitModel)
    rows = np.zeros((3, len(FEATURES)))
    rows[1, FEATURES.index("coverage")] = 1.0
    rows[2, FEATURES.index("type_missing")] = 1.0
    expected = 1 / (1 + np.exp(-np.array([-1.0, 1.0, -2.0])))
    assert model.probabilities(rows) == pytest.approx(expected)
    assert model.probabilities(np.zeros((0, len(FEATURES)))).shape == (0,)
    assert model.thresholds == Thresholds(**HAND_THRESHOLDS)


def test_the_models_scaling_is_applied() -> None:
    data = model_dict({"dense": 1.0}, intercept=0.0)
    data["mean"] = [0.5] * len(FEATURES)
    data["scale"] = [0.25] * len(FEATURES)
    model = model_from_dict(data)
    rows = np.zeros((1, len(FEATURES)))
    rows[0, FEATURES.index("dense")] = 0.75  # (0.75 - 0.5) / 0.25 = 1
    assert model.probabilities(rows)[0] == pytest.approx(1 / (1 + np.exp(-1.0)))
