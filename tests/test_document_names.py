"""What the documents are called (their file names, the organisations they are about) is in
the vocabulary the engine checks a question's names against: a page that never writes its
organisation's name out ("rugby-credit-union-faq.txt", an FAQ that only says "we") still
answers questions about it."""

from __future__ import annotations

from pathlib import Path

from conftest import make_settings

from assistant.answering.engine import names_unknown
from assistant.answering.profile import profile_question
from assistant.core.text import analyze, file_name_words
from assistant.retrieval.statistics import CorpusStatistics
from assistant.service.assistant_service import AssistantService


def test_file_names_as_words() -> None:
    assert file_name_words("docs/acme-workers_league.faq.txt") == "acme workers league faq"


def test_document_names_join_the_vocabulary_not_the_idf() -> None:
    stats = CorpusStatistics(["Credit unions offer low-cost loans to their members."],
                             names=["zephyr credit union faq"])
    zephyr = analyze("zephyr")[0]
    assert zephyr in stats.vocabulary
    assert zephyr not in stats.idf  # it weighs as a word no chunk holds
    assert analyze("loans")[0] in stats.vocabulary


def test_an_organisation_named_by_its_file_only_is_known(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "zephyr-workers-league-faq.txt").write_text(
        "How can I join?\nComplete an application form and pay a fee of two pounds.\n\n"
        "When can I withdraw my savings?\nAt any time, unless you have a loan.\n",
        encoding="utf-8")
    service = AssistantService(make_settings(corpus, tmp_path / "data",
                                             embedding_model="fake"))
    service.ingest()
    vocabulary = service._ready_retriever().statistics.vocabulary
    asked = profile_question("How do I join the Zephyr Workers League?", "en")
    assert not names_unknown(asked, vocabulary)
    never_written = profile_question("How do I join the Quokka Workers League?", "en")
    assert names_unknown(never_written, vocabulary)
