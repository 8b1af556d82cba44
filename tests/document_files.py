"""Small documents made on the spot for the reader tests and benches: a PDF with accents,
ligatures, headings and a list; a DOCX with headings and lists; an ODT; a scanned PDF with
no text layer; a corrupt PDF; a file whose extension lies. Nothing is downloaded: the PDF
font is the Bitstream Vera that reportlab ships (it has é, œ, the ﬁ ligature, •, ’).

Every maker writes the file and returns its path; ``SAMPLE`` is the text they all hold, so
a test (or bench/readers_compare.py) can tell what a reader kept and what it lost.
"""

from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Sample:
    """A small document: title, headings (level, text), paragraphs and list items, in order."""

    title: str
    organisation: str
    language: str
    blocks: tuple[tuple[str, str], ...]  # ("h1" | "h2" | "p" | "li" | "num", text)
    # Words whose spelling a reader must keep (accents, œ, the ﬁ ligature written as "fi").
    hard_words: tuple[str, ...] = field(default=())

    @property
    def headings(self) -> list[str]:
        return [t for kind, t in self.blocks if kind in ("h1", "h2")]

    @property
    def items(self) -> list[str]:
        return [t for kind, t in self.blocks if kind in ("li", "num")]

    @property
    def paragraphs(self) -> list[str]:
        return [t for kind, t in self.blocks if kind == "p"]


LIGATURE_FI = "\ufb01"  # ﬁ, as a PDF made by a typesetter writes "fi"
LIGATURE_FL = "\ufb02"  # ﬂ

SAMPLE = Sample(
    title="Les coopératives d’habitat au Brabant wallon",
    organisation="Habitat Solidaire Brabant",
    language="fr",
    blocks=(
        ("h1", "Les coopératives d’habitat au Brabant wallon"),
        ("p", "Habitat Solidaire Brabant est une asbl fondée en 1987 à Wavre. Elle soutient "
              "les ménages à faibles revenus qui cherchent un logement décent et abordable, "
              "et accompagne les coopératives d’habitants dans leurs démarches."),
        ("h2", "Nos missions"),
        ("p", "L’association poursuit trois missions définies par son conseil "
              "d’administration :"),
        ("li", "l’accompagnement des locataires en difficulté ;"),
        ("li", "la création de coopératives d’habitants à Nivelles et à Tubize ;"),
        ("li", "la formation des bénévoles à l’éducation permanente."),
        ("h2", "Financement et œuvres"),
        ("p", "Le financement provient de la Région wallonne et de dons privés. Chaque année, "
              "l’équipe publie un rapport efficace et fidèle sur ses œuvres, ses réflexions "
              "et les difficultés rencontrées par les familles."),
        ("num", "1. Dépôt du dossier auprès du guichet."),
        ("num", "2. Visite du logement par une bénévole."),
        ("p", "Pour tout renseignement : Habitat Solidaire Brabant, rue de Namur 12, 1300 "
              "Wavre."),
    ),
    hard_words=("coopératives", "ménages", "décent", "démarches", "définies", "éducation",
                "œuvres", "efficace", "fidèle", "réflexions", "difficultés", "Dépôt",
                "Région", "bénévoles", "d’habitants"),
)

# The words a question about the sample finds only in it (the browser test asks it).
SAMPLE_FACT = "1987"
SAMPLE_QUESTION = "Quand Habitat Solidaire Brabant a-t-elle été fondée ?"

# A second document (the browser test uploads it as a DOCX beside the PDF).
SAMPLE_2 = Sample(
    title="Maison des jeunes de Ciney : rapport d’activités",
    organisation="Maison des jeunes de Ciney",
    language="fr",
    blocks=(
        ("h1", "Maison des jeunes de Ciney : rapport d’activités"),
        ("p", "La Maison des jeunes de Ciney accueille chaque semaine 140 adolescents dans "
              "son atelier de sérigraphie et son studio de musique."),
        ("h2", "Ateliers proposés"),
        ("p", "Les animateurs proposent les ateliers suivants :"),
        ("li", "la sérigraphie sur textile ;"),
        ("li", "l’enregistrement de podcasts ;"),
        ("li", "la réparation de vélos."),
        ("h2", "Horaires"),
        ("p", "L’accueil est ouvert du mercredi au samedi, de 14 h à 19 h."),
    ),
    hard_words=("sérigraphie", "d’activités", "réparation", "vélos"),
)
SAMPLE_2_FACT = "140"
SAMPLE_2_QUESTION = "Combien d'adolescents la Maison des jeunes de Ciney accueille-t-elle ?"


def _ligatured(text: str) -> str:
    """"fi" and "fl" as the ligature glyphs a typeset PDF draws."""
    return text.replace("fi", LIGATURE_FI).replace("fl", LIGATURE_FL)


# -- PDF -------------------------------------------------------------------------------------
def _vera() -> tuple[str, str]:
    """Register reportlab's own Vera fonts (regular, bold); their names."""
    import reportlab
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = Path(reportlab.__file__).parent / "fonts"
    for name, file in (("Vera", "Vera.ttf"), ("VeraBd", "VeraBd.ttf")):
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(folder / file)))
    return "Vera", "VeraBd"


def pdf_bytes(sample: Sample = SAMPLE, *, pages: int = 1, ligatures: bool = True,
              core_font: bool = False, metadata: bool = True) -> bytes:
    """A typeset PDF of ``sample``: headings in a larger bold font, wrapped paragraphs, a
    bulleted list drawn with "•", a numbered list. With ``pages`` > 1 every further page
    holds a heading and nine paragraphs of its own, and every page a running footer with
    its number. ``ligatures`` writes fi/fl as ligature glyphs; ``core_font`` uses
    Helvetica (WinAnsi encoding, no ligatures) instead of the embedded Vera."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    regular, bold = ("Helvetica", "Helvetica-Bold") if core_font else _vera()
    fix = _ligatured if ligatures and not core_font else (lambda t: t)
    body = ParagraphStyle("body", fontName=regular, fontSize=10.5, leading=14, spaceAfter=6)
    h1 = ParagraphStyle("h1", fontName=bold, fontSize=18, leading=22, spaceAfter=10)
    h2 = ParagraphStyle("h2", fontName=bold, fontSize=14, leading=18, spaceBefore=8,
                        spaceAfter=6)
    item = ParagraphStyle("item", parent=body, leftIndent=18, bulletIndent=6,
                          bulletFontName=regular, spaceAfter=2)
    story: list[object] = []
    for kind, text in sample.blocks:
        text = fix(text)
        if kind == "h1":
            story.append(Paragraph(text, h1))
        elif kind == "h2":
            story.append(Paragraph(text, h2))
        elif kind == "li":
            story.append(Paragraph(text, item, bulletText="•"))
        elif kind == "num":
            story.append(Paragraph(text, ParagraphStyle("num", parent=body, leftIndent=18)))
        else:
            story.append(Paragraph(text, body))
    for page in range(1, pages):
        story.append(PageBreak())
        story.append(Paragraph(fix(f"Section {page + 1} : {TOPICS[page % len(TOPICS)]}"), h2))
        story.extend(filler_paragraphs(page, body, fix))

    def footer(canvas: object, doc: object) -> None:
        if pages > 1:
            canvas.setFont(regular, 8)  # type: ignore[attr-defined]
            canvas.drawString(  # type: ignore[attr-defined]
                72, 30, f"{sample.organisation} — rapport annuel · page "
                f"{canvas.getPageNumber()}")  # type: ignore[attr-defined]

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, title=sample.title if metadata else "",
                            author=sample.organisation if metadata else "",
                            lang=sample.language)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)  # type: ignore[arg-type]
    return out.getvalue()


TOPICS = ["le logement", "la formation", "l’emploi", "la santé", "la mobilité",
          "l’alimentation", "le climat", "la migration", "la culture", "l’enfance"]


def filler_paragraphs(page: int, style: object, fix: object) -> list[object]:
    """Nine paragraphs of distinct French prose for page ``page`` (0-based)."""
    from reportlab.platypus import Paragraph

    topic = TOPICS[page % len(TOPICS)]
    lines = []
    for n in range(9):
        lines.append(Paragraph(fix(  # type: ignore[operator]
            f"Section {page + 1}.{n + 1} : en {1990 + page + n}, l’équipe a défini un "
            f"programme sur {topic} avec {12 + n * page} familles de la région. Les "
            f"bénévoles ont organisé des réunions mensuelles, réfléchi aux difficultés "
            f"rencontrées et rédigé des fiches pratiques pour les ménages concernés."), style))
    return lines


def write_pdf(path: Path, sample: Sample = SAMPLE, **options: object) -> Path:
    path.write_bytes(pdf_bytes(sample, **options))  # type: ignore[arg-type]
    return path


def write_scanned_pdf(path: Path) -> Path:
    """A PDF whose only page is a picture of text (a scan): no text layer at all."""
    from PIL import Image, ImageDraw
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    image = Image.new("RGB", (800, 300), "white")
    draw = ImageDraw.Draw(image)
    for row in range(6):
        draw.rectangle([40, 40 + row * 40, 700 - row * 37, 60 + row * 40], fill="black")
    canvas = Canvas(str(path), pagesize=A4)
    canvas.drawImage(ImageReader(image), 50, 400, width=500, height=190)
    canvas.showPage()
    canvas.save()
    return path


def write_corrupt_pdf(path: Path) -> Path:
    """A PDF cut short, its cross-reference table and most objects gone, the rest scrambled."""
    whole = pdf_bytes()
    path.write_bytes(whole[:400] + os.urandom(64) + b"\nendobj\n%%EOF")
    return path


# -- DOCX ------------------------------------------------------------------------------------
def docx_bytes(sample: Sample = SAMPLE, *, metadata: bool = True,
               company: str | None = None) -> bytes:
    """A Word document: Heading 1/2 styles, body paragraphs, "List Bullet" and "List
    Number" items, a two-column table, the core properties (title, language)."""
    import docx

    document = docx.Document()
    for kind, text in sample.blocks:
        if kind == "h1":
            document.add_heading(text, level=1)
        elif kind == "h2":
            document.add_heading(text, level=2)
        elif kind == "li":
            document.add_paragraph(text, style="List Bullet")
        elif kind == "num":
            document.add_paragraph(text.split(" ", 1)[1], style="List Number")
        else:
            document.add_paragraph(text)
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Antenne", "Adresse"
    table.cell(1, 0).text, table.cell(1, 1).text = "Wavre", "rue de Namur 12"
    if metadata:
        document.core_properties.title = sample.title
        document.core_properties.language = "fr-BE"
        document.core_properties.author = "Marie Dupont"
    out = io.BytesIO()
    document.save(out)
    data = out.getvalue()
    return _with_company(data, company) if company else data


def _with_company(data: bytes, company: str) -> bytes:
    """The same DOCX with docProps/app.xml naming ``company`` (Word's "Société" field)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "docProps/app.xml":
                content = content.replace(
                    b"</Properties>", f"<Company>{company}</Company></Properties>".encode())
            target.writestr(info, content)
    return out.getvalue()


def write_docx(path: Path, sample: Sample = SAMPLE, **options: object) -> Path:
    path.write_bytes(docx_bytes(sample, **options))  # type: ignore[arg-type]
    return path


# -- ODT -------------------------------------------------------------------------------------
def odt_bytes(sample: Sample = SAMPLE, *, metadata: bool = True) -> bytes:
    """An OpenDocument text: outline headings, paragraphs, a bulleted and a numbered list,
    meta.xml's title and language."""
    from odf import dc, text
    from odf.opendocument import OpenDocumentText

    document = OpenDocumentText()
    styles = {"li": text.ListStyle(name="Puces"), "num": text.ListStyle(name="Numeros")}
    styles["li"].addElement(text.ListLevelStyleBullet(level=1, bulletchar="•"))
    styles["num"].addElement(text.ListLevelStyleNumber(level=1, numformat="1", numsuffix="."))
    for style in styles.values():
        document.automaticstyles.addElement(style)
    current: object | None = None
    current_kind = ""
    for kind, value in sample.blocks:
        if kind in ("li", "num"):
            if current is None or kind != current_kind:
                current, current_kind = text.List(stylename=styles[kind]), kind
                document.text.addElement(current)
            entry = text.ListItem()
            entry.addElement(text.P(text=value.split(" ", 1)[1] if kind == "num" else value))
            current.addElement(entry)  # type: ignore[attr-defined]
            continue
        current = None
        if kind in ("h1", "h2"):
            document.text.addElement(text.H(outlinelevel=1 if kind == "h1" else 2, text=value))
        else:
            document.text.addElement(text.P(text=value))
    if metadata:
        document.meta.addElement(dc.Title(text=sample.title))
        document.meta.addElement(dc.Language(text="fr-BE"))
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


def write_odt(path: Path, sample: Sample = SAMPLE, **options: object) -> Path:
    path.write_bytes(odt_bytes(sample, **options))  # type: ignore[arg-type]
    return path


# -- lies ------------------------------------------------------------------------------------
def write_lying(path: Path) -> Path:
    """A Word document saved under a ".pdf" name (the content says DOCX)."""
    path.write_bytes(docx_bytes())
    return path
