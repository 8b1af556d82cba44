"""The readers (assistant/ingestion/readers) on small files the tests make
(tests/document_files.py): a typeset PDF with accents, ligatures, headings and lists; a
DOCX with heading styles, lists and a table; an ODT; a scanned PDF with no text layer; a
damaged PDF and DOCX; files whose extension lies. Then through the corpus scan and the
chunker: headings become sections, bullets become list items."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from document_files import (
    LIGATURE_FI,
    SAMPLE,
    write_corrupt_pdf,
    write_docx,
    write_lying,
    write_odt,
    write_pdf,
    write_scanned_pdf,
)

from assistant.core.messages import message
from assistant.ingestion.chunking.document import chunk_document
from assistant.ingestion.cleaning.document import clean_text
from assistant.ingestion.corpus import scan_corpus
from assistant.ingestion.readers.base import ReadRefused, repair_extracted, usable_title
from assistant.ingestion.readers.document import read_document
from assistant.ingestion.readers.sniff import content_kind


def lines_of(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def refusal(path: Path) -> ReadRefused:
    with pytest.raises(ReadRefused) as caught:
        read_document(path)
    return caught.value


def check_structure(text: str, *, numbered: bool = True) -> None:
    """Every hard word kept, headings as "#" lines, list items as "•"/"1." lines, each
    paragraph on one line."""
    lines = lines_of(text)
    for word in SAMPLE.hard_words:
        assert word in text, word
    assert "# " + SAMPLE.headings[0] in lines
    for heading in SAMPLE.headings[1:]:
        assert "## " + heading in lines, heading
    for item in SAMPLE.items[:3]:
        assert "• " + item in lines, item
    if numbered:
        assert "1. Dépôt du dossier auprès du guichet." in lines
        assert "2. Visite du logement par une bénévole." in lines
    for paragraph in SAMPLE.paragraphs:
        assert paragraph in lines, paragraph


# -- PDF -------------------------------------------------------------------------------------
def test_pdf_keeps_accents_ligatures_headings_and_lists(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "rapport.pdf")
    raw = path.read_bytes()
    assert raw.startswith(b"%PDF-")
    read = read_document(path)
    assert (read.kind, read.fmt, read.pages) == ("pdf", "txt", 1)
    check_structure(read.text)
    assert LIGATURE_FI not in read.text and "efficace" in read.text  # ﬁ spelled out
    assert read.properties.title == SAMPLE.title
    assert read.properties.language == "fr"


def test_pdf_in_a_standard_font_keeps_its_accents_and_bullets(tmp_path: Path) -> None:
    read = read_document(write_pdf(tmp_path / "core.pdf", core_font=True))
    # Its bullets are code 127, which WinAnsi leaves unused and viewers draw as "•".
    check_structure(read.text)


def test_pdf_without_metadata_gets_no_title_property(tmp_path: Path) -> None:
    read = read_document(write_pdf(tmp_path / "x.pdf", metadata=False))
    assert read.properties.title == ""


def test_long_pdf_drops_page_numbers_and_running_footers(tmp_path: Path) -> None:
    read = read_document(write_pdf(tmp_path / "long.pdf", pages=4))
    assert read.pages == 4
    lines = lines_of(read.text)
    assert not [line for line in lines if "page " in line.casefold() and "rapport" in line]
    assert "## Nos missions" in lines
    assert sum(line.startswith("Section 3.") for line in lines) == 9  # filler of page 3
    assert "## Section 3 : l’emploi" in lines and "## Section 4 : la santé" in lines


def test_scanned_pdf_is_refused_with_ocr_advice(tmp_path: Path) -> None:
    exc = refusal(write_scanned_pdf(tmp_path / "scan.pdf"))
    assert (exc.reason, exc.values) == ("reason_no_text_layer", {"pages": 1})
    assert "OCR" in message(exc.reason, "fr", **exc.values)
    assert "OCR it first" in message(exc.reason, "en", **exc.values)


def test_damaged_pdf_is_refused_as_damaged(tmp_path: Path) -> None:
    exc = refusal(write_corrupt_pdf(tmp_path / "abime.pdf"))
    assert (exc.reason, exc.values) == ("reason_corrupt", {"kind": "PDF"})


# -- DOCX and ODT ------------------------------------------------------------------------------
def test_docx_headings_lists_table_and_properties(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "rapport.docx", company="Habitat Solidaire Brabant")
    read = read_document(path)
    assert read.kind == "docx"
    check_structure(read.text)
    assert "Wavre\true de Namur 12" in read.text  # a table row, cells tab-separated
    assert read.properties.title == SAMPLE.title
    assert read.properties.organisation == "Habitat Solidaire Brabant"
    assert read.properties.language == "fr"


def test_docx_without_properties(tmp_path: Path) -> None:
    read = read_document(write_docx(tmp_path / "nu.docx", metadata=False))
    assert read.properties.title == "" and read.properties.organisation == ""
    check_structure(read.text)


def test_odt_headings_lists_and_properties(tmp_path: Path) -> None:
    read = read_document(write_odt(tmp_path / "rapport.odt"))
    assert read.kind == "odt"
    check_structure(read.text)
    assert read.properties.title == SAMPLE.title
    assert read.properties.language == "fr"


def test_damaged_docx_and_odt_are_refused(tmp_path: Path) -> None:
    broken = tmp_path / "abime.docx"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    assert refusal(broken).reason == "reason_corrupt"
    # A real zip whose document part is not XML.
    odt = tmp_path / "abime.odt"
    with zipfile.ZipFile(odt, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<not xml")
    exc = refusal(odt)
    assert (exc.reason, exc.values) == ("reason_corrupt", {"kind": "ODT"})


# -- types decided by content ----------------------------------------------------------------
def test_a_word_document_named_pdf_is_refused_by_its_content(tmp_path: Path) -> None:
    exc = refusal(write_lying(tmp_path / "rapport.pdf"))
    assert exc.reason == "reason_type_mismatch"
    assert exc.values == {"actual": "DOCX (Word)", "claimed": "PDF"}
    assert "DOCX" in message(exc.reason, "en", **exc.values)


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("rapport.docx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "reason_type_mismatch"),
    ("notes.txt", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "reason_type_mismatch"),
    ("photo.pdf", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "reason_type_mismatch"),
    ("inconnu.pdf", b"\x00\x01\x02\x03binary", "reason_type_unknown"),
    ("texte.odt", "Du texte accentué : déjà lu.".encode(), "reason_type_mismatch"),
    ("ancien.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "reason_legacy_format"),
    ("image.png", b"\x89PNG\r\n\x1a\n", "reason_unsupported"),
    ("image.txt", b"GIF89a\x00\x01binary", "reason_binary"),
])
def test_extension_and_content_must_agree(tmp_path: Path, name: str, content: bytes,
                                          reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert refusal(path).reason == reason


def test_content_kinds(tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "a.bin")
    docx = write_docx(tmp_path / "b.bin")
    odt = write_odt(tmp_path / "c.bin")
    for path, kind in ((pdf, "pdf"), (docx, "docx"), (odt, "odt")):
        assert content_kind(path, path.read_bytes()[:8192]) == kind
    text = tmp_path / "d.md"
    text.write_text("# Titre\n\nUn document qui parle de %PDF-1.4 sans en être un.\n")
    assert content_kind(text, text.read_bytes()) == "text"
    assert read_document(text).kind == "text"


def test_repairs_and_machine_titles() -> None:
    assert repair_extracted("\uf0b7 ef\ufb01cace (cid:12)") == "• efficace "
    assert usable_title("Microsoft Word - rapport.docx") == ""
    assert usable_title("Document1") == ""
    assert usable_title("rapport-2024", "rapport-2024") == ""
    assert usable_title("  Rapport   annuel 2024 ") == "Rapport annuel 2024"


# -- through the corpus scan and the chunker ---------------------------------------------------
def test_headings_and_bullets_reach_the_chunker_as_structure(tmp_path: Path) -> None:
    read = read_document(write_pdf(tmp_path / "rapport.pdf"))
    chunks = chunk_document(clean_text(read.text, read.fmt), doc_id="rapport.pdf",
                            title=SAMPLE.title, max_chars=1200)
    listed = [c for c in chunks if c.kind == "list"]
    assert listed and listed[0].section == "Nos missions"
    items = [u for c in listed for u, kind in zip(c.units, c.unit_kinds, strict=True)
             if kind == "item"]
    assert [i.lstrip("• ") for i in items[:3]] == SAMPLE.items[:3]
    assert {c.section for c in chunks} >= {"Nos missions", "Financement et œuvres"}


def test_corpus_scan_reads_documents_and_names_what_it_refuses(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_pdf(corpus / "rapport.pdf")
    write_docx(corpus / "sans-titre.docx", metadata=False)
    write_odt(corpus / "decrit.odt")
    write_scanned_pdf(corpus / "scan.pdf")
    write_corrupt_pdf(corpus / "abime.pdf")
    write_lying(corpus / "menteur.pdf")
    (corpus / "manifest.json").write_text(json.dumps({"documents": [
        {"file": "decrit.odt", "title": "Titre du manifeste", "organisation": "MOC",
         "language": "fr"}]}), encoding="utf-8")
    scan = scan_corpus(corpus, "test")
    infos = {d.info.file: d.info for d in scan.documents}
    assert sorted(infos) == ["decrit.odt", "rapport.pdf", "sans-titre.docx"]
    assert infos["rapport.pdf"].title == SAMPLE.title  # the PDF's own title
    assert infos["rapport.pdf"].language == "fr"
    assert infos["rapport.pdf"].organisation == "Habitat Solidaire Brabant"  # guessed
    assert infos["decrit.odt"].title == "Titre du manifeste"  # the manifest wins
    assert infos["decrit.odt"].organisation == "MOC"
    assert infos["sans-titre.docx"].title == SAMPLE.title  # guessed from its first heading
    assert {s.name: s.reason for s in scan.skipped} == {
        "scan.pdf": "reason_no_text_layer", "abime.pdf": "reason_corrupt",
        "menteur.pdf": "reason_type_mismatch"}


def test_text_decides_the_language_over_a_property(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    from document_files import Sample, docx_bytes

    english = Sample("Annual report", "WSM", "en", (
        ("h1", "Annual report"),
        ("p", "The organisation supports the workers of the informal economy and their "
              "unions in their struggle for social protection and decent work."),
    ))
    (corpus / "english.docx").write_bytes(docx_bytes(english))  # says fr-BE in its core.xml
    scan = scan_corpus(corpus, "test")
    assert scan.documents[0].info.language == "en"


def test_a_binary_document_is_read_once_by_content(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.ingestion.readers import document

    calls: list[Path] = []
    real = document._read_binary
    monkeypatch.setattr(document, "_read_binary",
                        lambda path, kind: calls.append(path) or real(path, kind))
    monkeypatch.setattr(document, "_read_cache", type(document._read_cache)())
    first = write_docx(tmp_path / "Les coopératives d’habitat au Brabant wallon.docx")
    copy = tmp_path / "copie.docx"
    copy.write_bytes(first.read_bytes())
    untitled = read_document(first)
    assert untitled.properties.title == ""  # its title is its own file name: no title
    assert read_document(copy).properties.title == SAMPLE.title  # same bytes, other name
    assert read_document(copy).text == untitled.text
    assert calls == [first]  # parsed once
    write_docx(copy, metadata=False)
    read_document(copy)
    assert calls == [first, copy]  # other bytes: read again
