"""The citation checker: sentence splitting, verdicts, and its precision and recall on the
labelled pairs of tests/citation_pairs.jsonl (written from the corpus texts; French,
English and cross-lingual; supported, wrong number, wrong passage, unstated, off-topic)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from assistant.core.types import Passage
from assistant.generation.citations import (
    DEFAULT_THRESHOLDS,
    Evidence,
    check_answer,
    names_in_claim,
    split_claims,
    support,
)
from assistant.ingestion.chunking.units import split_units
from embeddings.base import TextEncoder
from embeddings.fake import FakeEncoder

PAIRS = Path(__file__).parent / "citation_pairs.jsonl"
MIN_PRECISION = 0.9  # an unsupported sentence shown as supported is the failure that matters
MIN_RECALL = 0.85  # a supported sentence removed only costs fluency (the fallback answers)


def evidence(number: int, text: str, encoder: TextEncoder, title: str = "") -> Evidence:
    units = split_units(text)
    vectors = encoder.encode_passages(units)
    passage = Passage(f"c{number}", text, title, "", "doc.txt", "", "fr", 1.0, number)
    return Evidence(passage, list(zip(units, vectors, strict=True)))


def test_split_claims_reads_citations_wherever_they_are_written() -> None:
    text = ("WSM a été fondée en 1974 [1]. Elle est reconnue en 1976. [2][3]\n"
            "Ses partenaires :\n- La CSC [1]\n- La F.T.U. ASBL aide [2, 3] les ONG.")
    claims = split_claims(text)
    assert [(c.text, c.cited) for c in claims] == [
        ("WSM a été fondée en 1974.", [1]),
        ("Elle est reconnue en 1976.", [2, 3]),
        ("Ses partenaires :", []),
        ("La CSC", [1]),
        ("La F.T.U. ASBL aide les ONG.", [2, 3]),
    ]
    assert claims[2].is_lead_in and claims[3].bullet == "-"
    assert names_in_claim("En 2018, WSM et la Charte Genre") == ["WSM", "Charte", "Genre"]


def test_verdicts_with_the_fake_encoder() -> None:
    encoder = FakeEncoder(256)
    sources = [
        evidence(1, "Solidarité Mondiale est reconnue comme ONG en 1976.", encoder),
        evidence(2, "La Coalition Climat réunit plus de 70 organisations.", encoder),
    ]
    text = ("Solidarité Mondiale est reconnue comme ONG en 1976. [2]\n"
            "La Coalition Climat réunit plus de 70 organisations. [2]\n"
            "La Coalition Climat réunit plus de 700 organisations. [2]\n"
            "Le MOC est très apprécié dans toute la Belgique.\n"
            "Voici :\n")
    checked = check_answer(text, sources, encoder.encode_queries)
    assert [c.verdict for c in checked.checks] == [
        "recited", "supported", "removed_unsupported", "removed_uncited", "kept_no_fact"]
    assert checked.text == ("Solidarité Mondiale est reconnue comme ONG en 1976. [1]\n"
                            "La Coalition Climat réunit plus de 70 organisations. [2]")
    assert checked.supports == {1: [sources[0].units[0][0]], 2: [sources[1].units[0][0]]}


def load_pairs() -> tuple[dict[str, dict[str, str]], list[dict[str, object]]]:
    rows = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines() if line]
    passages = {str(r["passage_id"]): r for r in rows if "text" in r}
    pairs = [r for r in rows if "claim" in r]
    return passages, pairs


def test_labelled_pairs_cover_both_languages_and_both_labels() -> None:
    passages, pairs = load_pairs()
    assert len(pairs) >= 60
    kinds = Counter(str(p["kind"]) for p in pairs)
    assert kinds["crosslingual"] >= 8 and kinds["crosslingual-unstated"] >= 4
    assert sum(bool(p["supported"]) for p in pairs) >= 30
    assert sum(not p["supported"] for p in pairs) >= 30
    assert all(str(p["passage_id"]) in passages for p in pairs)


@pytest.mark.integration
@pytest.mark.slow  # the real model
def test_checker_precision_and_recall_on_labelled_pairs(real_encoder: TextEncoder) -> None:
    passages, pairs = load_pairs()
    sources = {key: evidence(1, row["text"], real_encoder, row["title"])
               for key, row in passages.items()}
    vectors = real_encoder.encode_queries([str(p["claim"]) for p in pairs])
    outcome: Counter[str] = Counter()
    errors = []
    for pair, vector in zip(pairs, vectors, strict=True):
        found = support(str(pair["claim"]), np.asarray(vector), sources[str(pair["passage_id"])])
        said = found.holds(DEFAULT_THRESHOLDS)
        truth = bool(pair["supported"])
        outcome[("t" if said == truth else "f") + ("p" if said else "n")] += 1
        if said != truth:
            errors.append(f"{pair['id']} {pair['kind']} lex={found.lexical:.2f} "
                          f"emb={found.embedding:.3f}: {pair['claim']}")
    precision = outcome["tp"] / max(1, outcome["tp"] + outcome["fp"])
    recall = outcome["tp"] / max(1, outcome["tp"] + outcome["fn"])
    print(f"\ncitation checker on {len(pairs)} pairs: precision {precision:.3f}, "
          f"recall {recall:.3f} ({dict(outcome)})\n" + "\n".join(errors))
    assert precision >= MIN_PRECISION, errors
    assert recall >= MIN_RECALL, errors


@pytest.fixture(scope="module")
def real_encoder() -> TextEncoder:
    from assistant.core.settings import Settings
    from embeddings.provider import load_encoder

    settings = Settings()
    return load_encoder(settings.embedding_model, settings.models_dir)
