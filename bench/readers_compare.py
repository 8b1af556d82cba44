"""Which library reads French PDF, DOCX and ODT files best: measured on the small
documents tests/document_files.py makes (the same text in every format: accents, œ, the
ﬁ/ﬂ ligatures of typeset PDFs, two heading levels, a bulleted and a numbered list,
wrapped paragraphs), then the speed on a 20-page PDF.

usage: .venv/bin/python bench/readers_compare.py [--lirf FOLDER]

For each candidate it prints, as shares of the sample's:
  words    the hard words (accents, œ, ligatures) found as written
  words+   the same after ligature glyphs are spelled out (what a reader can repair)
  heads    headings alone on a line, and marked ("# ...") where the reader marks them
  items    list items on a line of their own opening with a bullet or their number
  paras    paragraphs whole on one line (a PDF library gives printed lines)
  ms/page  (PDF) reading the 20-page PDF, ms per page; ms (DOCX, ODT) per file

Candidates that are not installed are skipped: the project depends only on the chosen
ones (pdfminer.six, python-docx, odfpy); pypdf, pypdfium2, docx2txt, odfdo and
llama-index-readers-file (its PDFReader is pypdf, its DocxReader docx2txt) can be
installed aside, e.g. ``pip install --target /tmp/lirf --no-deps llama-index-readers-file
docx2txt odfdo`` and ``--lirf /tmp/lirf``. It prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from document_files import SAMPLE, write_docx, write_odt, write_pdf  # noqa: E402

Reader = Callable[[Path], str]


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def scores(text: str) -> dict[str, str]:
    lines = _lines(text)
    spelled = unicodedata.normalize("NFKC", text)
    heads = sum(any(line.lstrip("# ") == h for line in lines) for h in SAMPLE.headings)
    marked = sum(any(line.startswith("#") and line.lstrip("# ") == h for line in lines)
                 for h in SAMPLE.headings)
    items = 0
    for kind, item in SAMPLE.blocks:
        if kind == "li":
            items += any(line[:1] in "•-*–" and line[1:].strip() == item for line in lines)
        elif kind == "num":
            items += item in lines
    paras = sum(p in lines for p in SAMPLE.paragraphs)
    n_items = len(SAMPLE.items)
    return {
        "words": f"{sum(w in text for w in SAMPLE.hard_words)}/{len(SAMPLE.hard_words)}",
        "words+": f"{sum(w in spelled for w in SAMPLE.hard_words)}/{len(SAMPLE.hard_words)}",
        "heads": f"{heads}/{len(SAMPLE.headings)} ({marked} marked)",
        "items": f"{items}/{n_items}",
        "paras": f"{paras}/{len(SAMPLE.paragraphs)}",
    }


# -- candidates --------------------------------------------------------------------------------
def pdf_candidates() -> dict[str, Reader]:
    found: dict[str, Reader] = {}
    try:
        import pypdf

        found["pypdf"] = lambda p: "\n".join(
            page.extract_text() for page in pypdf.PdfReader(p).pages)
    except ImportError:
        pass
    try:
        from pdfminer.high_level import extract_text

        found["pdfminer.six (extract_text)"] = lambda p: extract_text(p)
    except ImportError:
        pass
    try:
        import pypdfium2

        found["pypdfium2"] = lambda p: "\n".join(
            page.get_textpage().get_text_range() for page in pypdfium2.PdfDocument(p))
    except ImportError:
        pass
    try:
        from llama_index.readers.file.docs.base import PDFReader

        found["llama-index PDFReader"] = lambda p: "\n".join(
            d.text for d in PDFReader().load_data(p))
    except ImportError:
        pass
    found["ours: pdfminer.six layout + rules"] = lambda p: _ours(p)
    return found


def docx_candidates() -> dict[str, Reader]:
    found: dict[str, Reader] = {}
    import docx

    found["python-docx (paragraph text)"] = lambda p: "\n".join(
        par.text for par in docx.Document(str(p)).paragraphs)
    try:
        import docx2txt

        found["docx2txt"] = lambda p: docx2txt.process(str(p))
    except ImportError:
        pass
    try:
        from llama_index.readers.file.docs.base import DocxReader

        found["llama-index DocxReader"] = lambda p: "\n".join(
            d.text for d in DocxReader().load_data(p))
    except ImportError:
        pass
    found["ours: python-docx styles + numbering"] = lambda p: _ours(p)
    return found


def odt_candidates() -> dict[str, Reader]:
    found: dict[str, Reader] = {}
    from odf import teletype
    from odf import text as odf_text
    from odf.opendocument import load

    def odfpy_plain(path: Path) -> str:
        document = load(str(path))
        parts = document.getElementsByType(odf_text.H) + document.getElementsByType(odf_text.P)
        # getElementsByType groups by type: put them back in document order
        order = {id(e): i for i, e in enumerate(_walk(document.text))}
        return "\n".join(teletype.extractText(e) for e in sorted(parts, key=lambda e: order[id(e)]))

    found["odfpy (teletype)"] = odfpy_plain
    try:
        from odfdo import Document

        found["odfdo"] = lambda p: Document(str(p)).get_formatted_text()
    except ImportError:
        pass
    found["ours: odfpy outline + list styles"] = lambda p: _ours(p)
    return found


def _walk(element: object) -> list[object]:
    out = []
    for child in getattr(element, "childNodes", []):
        out.append(child)
        out.extend(_walk(child))
    return out


def _ours(path: Path) -> str:
    from assistant.ingestion.readers import document

    document._read_cache.clear()  # time the reading, not the cache of what was read
    return document.read_document(path).text


# -- run -------------------------------------------------------------------------------------
def timed(reader: Reader, path: Path, rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        reader(path)
        best = min(best, time.perf_counter() - started)
    return best


def table(title: str, candidates: dict[str, Reader], files: dict[str, Path],
          speed: tuple[Path, int] | None) -> None:
    print(f"\n## {title}\n")
    header = "| reader | file | words | words+ | heads | items | paras | " + (
        "ms/page |" if speed else "ms |")
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for name, reader in candidates.items():
        for label, path in files.items():
            try:
                row = scores(reader(path))
            except Exception as exc:  # noqa: BLE001 - a candidate failing is a result
                print(f"| {name} | {label} | failed: {type(exc).__name__} |")
                continue
            if speed:
                long_pdf, pages = speed
                ms = timed(reader, long_pdf) / pages * 1000
            else:
                ms = timed(reader, path) * 1000
            print(f"| {name} | {label} | {row['words']} | {row['words+']} | {row['heads']} | "
                  f"{row['items']} | {row['paras']} | {ms:.0f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lirf", type=Path, help="folder of readers installed aside")
    args = parser.parse_args()
    if args.lirf:
        sys.path.append(str(args.lirf))
    with tempfile.TemporaryDirectory(prefix="readers-") as folder:
        tmp = Path(folder)
        pdfs = {"Vera (ligatures)": write_pdf(tmp / "vera.pdf"),
                "Helvetica": write_pdf(tmp / "helvetica.pdf", core_font=True)}
        long_pdf = write_pdf(tmp / "long.pdf", pages=20)
        table("PDF", pdf_candidates(), pdfs, (long_pdf, 20))
        table("DOCX", docx_candidates(), {"Word styles": write_docx(tmp / "a.docx")}, None)
        table("ODT", odt_candidates(), {"outline + list styles": write_odt(tmp / "a.odt")},
              None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
