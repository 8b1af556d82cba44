"""Adding and removing documents: the service (copy checked files into the corpus, names
cleaned, incremental re-index), ``assistant add`` / ``assistant remove`` (one line per
file, exit 2 when one is refused) and the web Documents tab's handlers (sign-in required
when accounts exist). Fake encoder, a one-document corpus: fast."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import CORPUS, make_settings
from document_files import (
    SAMPLE,
    SAMPLE_2,
    SAMPLE_2_FACT,
    SAMPLE_2_QUESTION,
    SAMPLE_FACT,
    SAMPLE_QUESTION,
    write_corrupt_pdf,
    write_docx,
    write_lying,
    write_pdf,
    write_scanned_pdf,
)

from assistant import cli
from assistant.core.messages import message
from assistant.core.settings import Settings
from assistant.ingestion.corpus_files import clean_name
from assistant.service.assistant_service import AssistantService
from assistant.service.feedback import FeedbackStore
from ui.app import build_app
from ui.documents_tab import DocumentsTab
from ui.handlers import ChatUI

FIRST = "wsm-fiche-organisation.txt"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / FIRST, corpus / FIRST)
    return make_settings(corpus, tmp_path / "data", embedding_model="fake")


@pytest.fixture
def service(settings: Settings) -> AssistantService:
    service = AssistantService(settings)
    service.ingest()
    return service


@pytest.fixture
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "upload"
    folder.mkdir()
    return folder


def statuses(change: object) -> list[tuple[str, str, str]]:
    return [(o.name, o.status, o.stored or o.reason)
            for o in change.outcomes]  # type: ignore[attr-defined]


def test_clean_names() -> None:
    assert clean_name("../../Rapport annuel 2024 (final).PDF") == "Rapport-annuel-2024-final.pdf"
    assert clean_name("C:\\Users\\marie\\Fiche été.docx") == "Fiche-été.docx"
    assert clean_name(".cache.txt") == "cache.txt"
    assert clean_name("a\x00b\u202e.txt") == "ab.txt"
    assert clean_name("<script>.pdf") == "script.pdf"
    assert clean_name("....pdf") == ""
    assert clean_name("x" * 300 + ".pdf") == "x" * 100 + ".pdf"


def test_add_a_pdf_and_a_docx_then_ask(service: AssistantService, files: Path) -> None:
    pdf = write_pdf(files / "Rapport annuel (2024).pdf")
    docx = write_docx(files / "maison-des-jeunes.docx", SAMPLE_2)
    change = service.add_documents([pdf, docx])
    assert statuses(change) == [
        ("Rapport annuel (2024).pdf", "added", "Rapport-annuel-2024.pdf"),
        ("maison-des-jeunes.docx", "added", "maison-des-jeunes.docx"),
    ]
    assert change.report is not None
    assert sorted(change.report.added) == ["Rapport-annuel-2024.pdf", "maison-des-jeunes.docx"]
    assert change.report.unchanged == [FIRST]  # incremental: the old one is copied
    corpus = service.settings.corpus_dir
    assert sorted(p.name for p in corpus.iterdir()) == [
        "Rapport-annuel-2024.pdf", "maison-des-jeunes.docx", FIRST]
    records = dict(service.documents())
    assert records["Rapport-annuel-2024.pdf"].title == SAMPLE.title
    assert records["maison-des-jeunes.docx"].title == SAMPLE_2.title
    for question, fact, source in ((SAMPLE_QUESTION, SAMPLE_FACT, "Rapport-annuel-2024.pdf"),
                                   (SAMPLE_2_QUESTION, SAMPLE_2_FACT,
                                    "maison-des-jeunes.docx")):
        answer = service.ask(question)
        assert fact in answer.text, answer.text
        assert answer.citations[0].passage.source == source


def test_refused_files_never_land_in_the_corpus(service: AssistantService, files: Path) -> None:
    scan = write_scanned_pdf(files / "scan.pdf")
    corrupt = write_corrupt_pdf(files / "abime.pdf")
    lying = write_lying(files / "menteur.pdf")
    legacy = files / "vieux.doc"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    readme = files / "README.md"
    readme.write_text("# Lisez-moi\n\nUn texte.\n", encoding="utf-8")
    change = service.add_documents([scan, corrupt, lying, legacy, readme,
                                    files / "absent.pdf"])
    assert [(o.name, o.reason) for o in change.outcomes] == [
        ("scan.pdf", "reason_no_text_layer"), ("abime.pdf", "reason_corrupt"),
        ("menteur.pdf", "reason_type_mismatch"), ("vieux.doc", "reason_legacy_format"),
        ("README.md", "reason_reserved_name"), ("absent.pdf", "reason_missing_file"),
    ]
    assert change.report is None  # nothing changed: no re-index
    assert [p.name for p in service.settings.corpus_dir.iterdir()] == [FIRST]
    line = change.outcomes[0].line("fr")
    assert line.startswith("Refusé : scan.pdf") and "OCR" in line


def test_same_file_again_is_unchanged_a_new_version_replaces(service: AssistantService,
                                                             files: Path) -> None:
    pdf = write_pdf(files / "rapport.pdf")
    assert statuses(service.add_documents([pdf])) == [("rapport.pdf", "added", "rapport.pdf")]
    again = service.add_documents([pdf])
    assert statuses(again) == [("rapport.pdf", "unchanged", "rapport.pdf")]
    assert again.report is None
    write_pdf(pdf, SAMPLE_2)  # another text, same name
    replaced = service.add_documents([pdf])
    assert statuses(replaced) == [("rapport.pdf", "replaced", "rapport.pdf")]
    assert replaced.report is not None and replaced.report.changed == ["rapport.pdf"]


def test_two_files_of_one_batch_with_the_same_name_both_stay(service: AssistantService,
                                                             files: Path) -> None:
    one, two = files / "a", files / "b"
    one.mkdir()
    two.mkdir()
    change = service.add_documents([write_pdf(one / "Fiche.pdf"),
                                    write_docx(two / "x.docx", SAMPLE_2)])
    change = service.add_documents([("fiche.pdf", write_pdf(one / "f.pdf")),
                                    ("fiche.pdf", write_pdf(two / "g.pdf", metadata=False))])
    assert [o.stored for o in change.outcomes] == ["fiche.pdf", "fiche-2.pdf"]


def test_upload_limit_comes_from_the_settings(tmp_path: Path, files: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / FIRST, corpus / FIRST)
    settings = make_settings(corpus, tmp_path / "data", embedding_model="fake",
                             upload_max_bytes=5_000)
    pdf = write_pdf(files / "rapport.pdf")
    change = AssistantService(settings).add_documents([pdf])
    outcome = change.outcomes[0]
    assert (outcome.status, outcome.reason) == ("refused", "reason_upload_too_large")
    assert outcome.values == {"size": pdf.stat().st_size, "limit": 5_000}
    assert "ASSISTANT_UPLOAD_MAX_BYTES" in outcome.line("en")


def test_remove_by_file_name_or_title(service: AssistantService, files: Path) -> None:
    service.add_documents([write_pdf(files / "rapport.pdf"),
                           write_docx(files / "mj.docx", SAMPLE_2)])
    change = service.remove_documents(["rapport.pdf", SAMPLE_2.title.upper()])
    assert statuses(change) == [("rapport.pdf", "removed", "rapport.pdf"),
                                (SAMPLE_2.title.upper(), "removed", "mj.docx")]
    assert change.report is not None and sorted(change.report.removed) == ["mj.docx",
                                                                           "rapport.pdf"]
    assert [name for name, _ in service.documents()] == [FIRST]
    assert [p.name for p in service.settings.corpus_dir.iterdir()] == [FIRST]
    answer = service.ask(SAMPLE_QUESTION)
    assert all(s.source == FIRST for s in answer.sources)


def test_remove_unknown_or_ambiguous_names(service: AssistantService, files: Path) -> None:
    sub = service.settings.corpus_dir / "archives"
    sub.mkdir()
    shutil.copy(CORPUS / FIRST, sub / FIRST)
    service.ingest()
    change = service.remove_documents(["wsm-fiche", FIRST.upper(), "../" + FIRST])
    reasons = [(o.reason, o.values.get("names")) for o in change.outcomes]
    assert reasons[0] == ("reason_no_such_document", f"archives/{FIRST}, {FIRST}")
    assert reasons[1] == ("reason_ambiguous_name", f"archives/{FIRST}, {FIRST}")
    assert reasons[2][0] == "reason_no_such_document"
    assert change.report is None
    assert (service.settings.corpus_dir / FIRST).exists()
    removed = service.remove_documents([f"archives/{FIRST}"])
    assert statuses(removed) == [(f"archives/{FIRST}", "removed", f"archives/{FIRST}")]
    assert not (sub / FIRST).exists() and (service.settings.corpus_dir / FIRST).exists()


# -- command line (in process) --------------------------------------------------------------
def cli_environment(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    for key, value in {"CORPUS_DIR": settings.corpus_dir, "DATA_DIR": settings.data_dir,
                       "EMBEDDING_MODEL": "fake",
                       "DISABLED_CHECKS": "abstain_threshold"}.items():
        monkeypatch.setenv(f"ASSISTANT_{key}", str(value))
    monkeypatch.chdir(settings.data_dir.parent)


def test_cli_add_and_remove_print_one_line_per_file(
        service: AssistantService, files: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    cli_environment(monkeypatch, service.settings)
    pdf = write_pdf(files / "Rapport 2024.pdf")
    scan = write_scanned_pdf(files / "scan.pdf")
    assert cli.main(["add", str(pdf), str(scan)]) == 2  # one refused
    out = capsys.readouterr().out.splitlines()
    assert out[0] == message("doc_added", "fr", name="Rapport-2024.pdf") + " " + message(
        "doc_saved_as", "fr", original="Rapport 2024.pdf")
    assert out[1].startswith("Refusé : scan.pdf — aucune couche de texte")
    assert out[2].startswith("Index mis à jour : 1 ajouté(s)")
    assert cli.main(["add", str(pdf)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        message("doc_unchanged", "fr", name="Rapport-2024.pdf") + " " + message(
            "doc_saved_as", "fr", original="Rapport 2024.pdf"),
        message("doc_nothing_changed", "fr")]
    assert cli.main(["remove", "Rapport-2024.pdf"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == message("doc_removed", "fr", name="Rapport-2024.pdf")
    assert "1 supprimé(s)" in out[1]
    assert cli.main(["remove", "nulle-part.pdf"]) == 2
    assert capsys.readouterr().out.startswith("Refusé : nulle-part.pdf — aucun document")


# -- web Documents tab (handlers) -----------------------------------------------------------
def tab_for(service: AssistantService) -> DocumentsTab:
    return DocumentsTab(ChatUI(service, FeedbackStore.for_settings(service.settings)))


def test_documents_tab_adds_removes_and_refreshes(service: AssistantService,
                                                  files: Path) -> None:
    tab = tab_for(service)
    pdf = write_pdf(files / "rapport.pdf")
    scan = write_scanned_pdf(files / "scan.pdf")
    views = list(tab.add([str(pdf), str(scan)], "fr"))
    assert views[0][0] == message("ui_documents_working", "fr")
    status, table, choices, upload = views[-1]
    assert f"- {message('doc_added', 'fr', name='rapport.pdf')}" in status.splitlines()
    assert "Refusé : scan.pdf" in status and "Index mis à jour : 1 ajouté(s)" in status
    assert [row[-1] for row in table["data"]] == ["rapport.pdf", FIRST]
    assert ("rapport.pdf" in [value for _, value in choices["choices"]])
    assert upload == {"__type__": "update", "value": None}  # the upload box is emptied
    *_, (status, table, choices, _) = tab.remove("rapport.pdf", "en")
    assert status.splitlines()[0] == "- Removed: rapport.pdf"
    assert [row[-1] for row in table["data"]] == [FIRST]
    assert [value for _, value in choices["choices"]] == [FIRST]
    assert next(tab.add(None, "en"))[0] == message("ui_documents_no_file", "en")
    assert next(tab.remove(None, "en"))[0] == message("ui_documents_no_choice", "en")


def test_documents_tab_escapes_uploaded_names(service: AssistantService, files: Path) -> None:
    odd = files / "<img src=x onerror=alert(1)>.txt"
    odd.write_text("Un texte sur le MOC et la CSC, mouvement ouvrier chrétien.", "utf-8")
    *_, (status, *_rest) = tab_for(service).add([str(odd)], "fr")
    assert "<img" not in status and "&lt;img" in status


def test_only_signed_in_users_may_change_documents(tmp_path: Path, files: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / FIRST, corpus / FIRST)
    settings = make_settings(corpus, tmp_path / "data", embedding_model="fake",
                             ui_users={"alice": "pw-alice"})
    service = AssistantService(settings)
    service.ingest()
    tab = tab_for(service)
    pdf = write_pdf(files / "rapport.pdf")
    for request in (None, SimpleNamespace(username=None), SimpleNamespace(username="mallory")):
        views = list(tab.add([str(pdf)], "fr", request))  # type: ignore[arg-type]
        assert [v[0] for v in views] == [message("ui_documents_sign_in", "fr")]
        views = list(tab.remove(FIRST, "fr", request))  # type: ignore[arg-type]
        assert [v[0] for v in views] == [message("ui_documents_sign_in", "fr")]
    assert [p.name for p in corpus.iterdir()] == [FIRST]
    *_, (status, *_rest) = tab.add([str(pdf)], "fr", SimpleNamespace(username="alice"))  # type: ignore[arg-type]
    assert "Ajouté : rapport.pdf" in status
    assert (corpus / "rapport.pdf").exists()


def test_documents_tab_is_laid_out_and_relabelled(service: AssistantService) -> None:
    ui = ChatUI(service, FeedbackStore.for_settings(service.settings))
    app = build_app(service, service.settings, ui=ui)
    by_id = {getattr(b, "elem_id", None): b for b in app.blocks.values()}
    upload = by_id["documents-upload"]
    assert upload.file_count == "multiple" and ".pdf" in upload.file_types
    assert by_id["documents-add"].value == "Ajouter et indexer"
    assert by_id["documents-remove"].value == "Retirer et réindexer"
    assert "documents-status" in by_id and "documents-remove-choice" in by_id
    shown = dict(zip([getattr(b, "elem_id", None) for b in ui.labels.blocks],
                     ui.relabel("en", []), strict=False))
    assert shown["documents-add"]["value"] == "Add and index"
    assert shown["documents-upload"]["label"] == "Add documents"
    assert "10 MB" in shown["documents-help"]["value"]


def test_the_chat_answers_while_an_upload_is_indexed(service: AssistantService, files: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The upload's re-index runs in its own event; a question asked meanwhile is answered
    from the previous store generation, and from the new one once it is switched in."""
    import threading

    tab = tab_for(service)
    started, release = threading.Event(), threading.Event()
    real_ingest = service.ingest

    def held_ingest(**options: object) -> object:
        started.set()
        assert release.wait(30)
        return real_ingest(**options)  # type: ignore[arg-type]

    monkeypatch.setattr(service, "ingest", held_ingest)
    pdf = write_pdf(files / "rapport.pdf")
    views: list[object] = []
    worker = threading.Thread(target=lambda: views.extend(tab.add([str(pdf)], "fr")))
    worker.start()
    try:
        assert started.wait(30)
        during = tab.ui.reply(SAMPLE_QUESTION, [], "fr")
        assert during.answer is not None
        assert all(s.source == FIRST for s in during.answer.sources)
        assert (service.settings.corpus_dir / "rapport.pdf").exists()  # copied, not indexed
    finally:
        release.set()
        worker.join(60)
    assert "Index mis à jour : 1 ajouté(s)" in views[-1][0]  # type: ignore[index]
    after = tab.ui.reply(SAMPLE_QUESTION, [], "fr")
    assert after.answer is not None and SAMPLE_FACT in after.reply
    assert after.answer.citations[0].passage.source == "rapport.pdf"
