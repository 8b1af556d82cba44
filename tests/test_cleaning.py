"""Unit tests of the cleaning stage: synthetic debris first, then the five real scrapes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.ingestion.cleaning.document import clean_text
from assistant.ingestion.cleaning.markdown import strip_markdown
from assistant.ingestion.cleaning.markup import html_to_text

SHARED_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
CORPUS_FILES = sorted(SHARED_CORPUS.glob("*.txt")) if SHARED_CORPUS.is_dir() else []


def lines_of(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


# --------------------------------------------------------------------------- formats


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="reason_unsupported"):
        clean_text("x", "pdf")


def test_cleaning_is_deterministic_and_idempotent() -> None:
    raw = "LLe Réseau\tNéant\nLogo FTUThe F.T.U. ASBL aims to help people.\n\n\n\nRead more"
    once = clean_text(raw)
    assert clean_text(raw) == once
    assert clean_text(once) == once


def test_html_document_becomes_lines() -> None:
    raw = (
        "<html><head><title>T</title><style>p {color: red}</style></head><body>"
        "<script>var secret = 1;</script><h2>Titre</h2><p>Texte &amp; suite.<br>ligne</p>"
        "<ul><li>un</li><li>deux</li></ul><p>après</p></body></html>"
    )
    assert clean_text(raw, "html") == "## Titre\n\nTexte & suite.\nligne\n\n• un\n• deux\n\naprès"


def test_html_table_header_row_is_dropped() -> None:
    raw = (
        "<table><tr><th>Nom</th><th>Rôle</th></tr>"
        "<tr><td>CSC</td><td>Syndicat <b>chrétien</b></td></tr>"
        "<tr><td>JOC</td><td>Néant</td></tr></table>"
    )
    assert clean_text(raw, "html") == "CSC: Syndicat chrétien"


def test_html_list_item_holding_a_paragraph_stays_one_item() -> None:
    raw = "<ul><li><p>Premier <a href='#'>point</a></p></li><li><div>Second</div></li></ul>"
    assert clean_text(raw, "html") == "• Premier point\n• Second"


def test_lines_ending_with_a_tab_are_not_a_table() -> None:
    raw = "Première ligne de texte.\t\nDeuxième ligne de texte.\t"
    assert lines_of(clean_text(raw)) == ["Première ligne de texte.", "Deuxième ligne de texte."]


def test_html_images_and_comments_leave_nothing() -> None:
    assert html_to_text('<p>A<!-- hidden --><img src="x.png" alt="Logo X">B</p>').strip() == "AB"


def test_html_fragment_inside_plain_text_keeps_line_structure() -> None:
    raw = "Avant\n<p>Un <strong>mot</strong></p>\nAprès"
    assert lines_of(clean_text(raw)) == ["Avant", "Un mot", "Après"]


def test_markdown_syntax_is_stripped_and_headings_kept() -> None:
    raw = (
        "Titre\n=====\n\nUn **gras**, *it*, un [lien](http://x) et `code`, snake_case_name.\n\n"
        "![image](a.png)\n\n* item one\n+ item two\n\n> cité\n\n---\n\n## Sous-titre ##\nfin"
    )
    assert lines_of(clean_text(raw, "md")) == [
        "# Titre",
        "Un gras, it, un lien et code, snake_case_name.",
        "• item one",
        "• item two",
        "cité",
        "## Sous-titre",
        "fin",
    ]


def test_markdown_pipe_table_becomes_title_description_lines() -> None:
    raw = "| Nom | Rôle |\n|---|---|\n| CSC | syndicat chrétien |\n| JOC | jeunesse |"
    expected = ["CSC: syndicat chrétien", "JOC: jeunesse"]
    assert lines_of(strip_markdown(raw)) == expected
    assert lines_of(clean_text(raw, "md")) == expected


# --------------------------------------------------------------------------- HTML in txt


def test_inline_ul_fragment_in_a_table_cell_gives_one_item_per_line() -> None:
    raw = (
        "Titre d'activité\tDescription\n"
        'Information & Communication\t<ul style="list-style-type: none"> • Revue (trimestriel)'
        " • Newsletter mensuelle • Réseaux sociaux, sites web..."
    )
    assert lines_of(clean_text(raw)) == [
        "Information & Communication:",
        "• Revue (trimestriel)",
        "• Newsletter mensuelle",
        "• Réseaux sociaux, sites web...",
    ]


def test_inline_bullets_are_split() -> None:
    assert lines_of(clean_text("Nos services • Formation • Conseil")) == [
        "Nos services",
        "• Formation",
        "• Conseil",
    ]


def test_questions_and_answers_run_together_are_split() -> None:
    raw = ("Our founders Q: How many staff do we have? A: We have around 400 staff in the UK "
           "Q: On which continents do we work? A: In Latin America, Asia and Africa.")
    assert lines_of(clean_text(raw)) == [
        "Our founders",
        "Q: How many staff do we have?",
        "A: We have around 400 staff in the UK",
        "Q: On which continents do we work?",
        "A: In Latin America, Asia and Africa.",
    ]
    assert lines_of(clean_text("Q : Qui peut participer ? R : Tout le monde.")) == [
        "Q : Qui peut participer ?", "R : Tout le monde."]
    # A quiz left blank leaves no empty mark behind.
    assert lines_of(clean_text("Q: Who? A: Us. Q: A: Q: A: The end.")) == [
        "Q: Who?", "A: Us.", "A: The end."]
    # Without both marks, each with its colon, the line stands: an initial, a lone label.
    for line in ("Written by A. Smith: see the Q. below.", "Note A: the figures are estimates."):
        assert lines_of(clean_text(line)) == [line]


def test_autolink_keeps_the_address() -> None:
    assert clean_text("Site web : <http://www.example.org>") == "Site web : http://www.example.org"


def test_entities_are_unescaped_but_bare_ampersands_stay() -> None:
    assert clean_text("R&D et Q&amp;A") == "R&D et Q&A"


# --------------------------------------------------------------------------- tables


def test_tab_table_rows_become_title_description() -> None:
    raw = (
        "Titre d'activité\tDescription\n"
        "Plaidoyer\tNos domaines d'expertise sont le travail décent.\n"
        "Campagnes\t- Développement d'outils- Formations des cadres- Animations (débats, ...)"
    )
    assert lines_of(clean_text(raw)) == [
        "Plaidoyer: Nos domaines d'expertise sont le travail décent.",
        "Campagnes:",
        "• Développement d'outils",
        "• Formations des cadres",
        "• Animations (débats, ...)",
    ]


def test_placeholder_fields_are_dropped() -> None:
    raw = (
        "Profil\n\n\tType activite : Néant\n\tThème : N/A\n\tPublic cible :\n"
        "\tZone : -\n\tLangue : français\nSite\tNéant\nContact\t\nTéléphone : n/a"
    )
    assert lines_of(clean_text(raw)) == ["Profil", "Langue : français"]


def test_first_row_with_long_cells_is_not_taken_for_a_header() -> None:
    raw = "Lundi\t9h-17h\nMardi\t9h-12h"
    assert lines_of(clean_text(raw)) == ["Lundi: 9h-17h", "Mardi: 9h-12h"]


def test_label_with_a_real_value_or_empty_heading_label_is_kept() -> None:
    raw = "MISSIONS :\n\nIci, nous agissons.\nAdresse : Rue X 1"
    assert lines_of(clean_text(raw)) == ["MISSIONS :", "Ici, nous agissons.", "Adresse : Rue X 1"]


# --------------------------------------------------------------------------- captions

# (caption glued by the scraper, the sentence it was glued to)
GLUED_CAPTIONS = [
    ("Logo FTU", "The F.T.U. ASBL aims to provide a link."),  # the text names it first
    ("Dame qui étudie", "The AID network is rooted in the MOC."),
    ("Poignée de mains", "The actions of the network are anchored."),
    ("Biblio", "Here, we have put together the links."),
    ("Pédagothèque", "The Pédagothèque website was created."),
    ("Différents métiers", "Here, you will find organisations."),
    ("Photo Wallonie", "Within the region portal, you can access it."),
    ("Logo Banlieues", "Banlieues, to reduce the digital divide."),
    ("Logo AEF", "AEF - or Francophone agency for education."),
    ("• Logo FTU", "The FTU provides permanent education services."),
]


@pytest.mark.parametrize(("caption", "sentence"), GLUED_CAPTIONS)
def test_glued_captions_are_removed(caption: str, sentence: str) -> None:
    bullet = "• " if caption.startswith("• ") else ""
    assert clean_text(caption + sentence) == bullet + sentence


# A logo's caption is the organisation's name: kept when the text does not name it first.
NAMING_LOGOS = [
    ("Logo apprendre à apprendre", "The website offers resources.", "apprendre à apprendre"),
    ("Logo Wallonie", "Within the region portal, you can access it.", "Wallonie"),
    ("Logo ECVET", "At the European level, there are resources.", "ECVET"),
]


@pytest.mark.parametrize(("caption", "sentence", "name"), NAMING_LOGOS)
def test_logo_caption_naming_the_subject_is_kept_as_a_lead_in(caption: str, sentence: str,
                                                              name: str) -> None:
    assert clean_text(caption + sentence) == f"{name} : {sentence}"


def test_caption_glued_inside_a_sentence_is_removed() -> None:
    raw = "those who have skills but no Logo CDVCeducational certificate; in short"
    assert clean_text(raw) == "those who have skills but no educational certificate; in short"


def test_repeated_acronym_caption_keeps_one_acronym_and_separates_the_word() -> None:
    raw = "Logo SFMQSFMQFrancophone Occupations Service brings together partners.\nFrancophone."
    assert clean_text(raw).split("\n")[0] == (
        "SFMQ Francophone Occupations Service brings together partners."
    )


def test_acronym_glued_to_a_lowercase_article_is_separated() -> None:
    assert clean_text("CDVCthe Consortium is aimed at people.") == (
        "CDVC the Consortium is aimed at people."
    )


def test_lone_caption_line_is_dropped() -> None:
    assert lines_of(clean_text("Logo Cirtes\n\nThe CIRTES was born of three entities.")) == [
        "The CIRTES was born of three entities."
    ]


COUNTER_EXAMPLES = [
    "Membre d'achACT et du CNCD-11.11.11, avec Acodev.",
    "McDonald is a name, FOREM is an acronym, iPhone a brand, PhD a degree.",
    "Linked to ECVETs and the NGOs, see the LinkedIn page of the UCLouvain team.",
    "SolidaritéMondiale est parfois écrit ainsi.",
    "Le Logo de l'association a été redessiné en 2019.",
    "Une Image vaut mille mots, dit-on souvent.",
    "Acodev &NGOfederatie travaillent ensemble.",
    "Logo LinkedIn",  # a lone caption: dropped, but never turned into "In"
]


@pytest.mark.parametrize("raw", COUNTER_EXAMPLES[:-1])
def test_glued_looking_words_are_left_alone(raw: str) -> None:
    assert clean_text(raw) == raw


def test_lone_caption_is_never_cut_into_a_fragment() -> None:
    assert clean_text(COUNTER_EXAMPLES[-1]) == ""


def test_unknown_acronym_glued_to_a_word_is_left_alone() -> None:
    # Neither "ABCD" nor "Wordy" occurs on its own: the split would be a guess.
    assert clean_text("Le projet ABCDWordy avance.") == "Le projet ABCDWordy avance."


# --------------------------------------------------------------------------- typos, debris


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("LLe Réseau Financité est un réseau.", "Le Réseau Financité est un réseau."),
        ("LLes membres et LLa coordination.", "Les membres et La coordination."),
        ("LLama et LLM restent, AAbcdefg aussi.", "LLama et LLM restent, AAbcdefg aussi."),
    ],
)
def test_doubled_initial_capital(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


def test_debris_lines_are_dropped() -> None:
    raw = (
        "Intro du texte.\nRead more\nLire la suite…\n» En savoir plus\nPDF - 801 ko\n"
        "(PDF, 1,2 Mo)\nTélécharger le PDF\nL'organisation n'a pas ajouté une antenne locale\n"
        "Téléchargez notre note de vision :\n\nPDF - 801 ko"
    )
    assert lines_of(clean_text(raw)) == [
        "Intro du texte.",
        "L'organisation n'a pas ajouté une antenne locale",
    ]


def test_language_switchers_and_tracking_tags_are_dropped() -> None:
    raw = "fbpx\nOxfam-Magasins du monde\nde fr it\nFR | NL | EN\nIt is de facto open."
    assert lines_of(clean_text(raw)) == ["Oxfam-Magasins du monde", "It is de facto open."]
    # Words of the page stay, however short: an acronym, a French phrase.
    assert lines_of(clean_text("CNCD\nde la\nen 2010")) == ["CNCD", "de la", "en 2010"]


@pytest.mark.parametrize(
    "code",
    [
        "'; echo $this->article->section.' - '.$this->article->category; print ''; } */ ?>",
        "var x = function() { return 1; };",
    ],
)
def test_template_code_lines_are_dropped(code: str) -> None:
    raw = f"Intro du texte.\n{code}\nL'EAEA représente l'éducation des adultes."
    assert lines_of(clean_text(raw)) == ["Intro du texte.",
                                         "L'EAEA représente l'éducation des adultes."]


@pytest.mark.parametrize(
    "placeholder",
    ["__MAIN_TEXT__", "{{ page.title }}", "{% block content %}", "[[CONTENT]]", "%BODY%",
     "<!-- main -->", "Page 1", "page 2 sur 5", "p. 3/12", "Page 4 of 20"],
)
def test_unfilled_placeholders_and_page_numbers_are_dropped(placeholder: str) -> None:
    raw = f"{placeholder}\n\nRAPPORT ANNUEL 2018\nLa fondation aide 22.000 personnes."
    assert lines_of(clean_text(raw)) == ["RAPPORT ANNUEL 2018",
                                         "La fondation aide 22.000 personnes."]


@pytest.mark.parametrize(
    "prose",
    ["Page 1 of the report is about housing.", "Le __init__ de Python est appelé.",
     "Page d'accueil", "En 1984, page après page, le livre avance."],
)
def test_prose_about_pages_and_placeholders_stays(prose: str) -> None:
    assert lines_of(clean_text(f"Intro du texte.\n{prose}")) == ["Intro du texte.", prose]


@pytest.mark.parametrize(
    "prose",
    [
        "une immersion d’un mois en été ;",
        "Le prix passe de 20 $ -> 25 $ en 2020 ; voir la note.",
        "Voir la fonction print() de Python ; elle affiche un texte.",
    ],
)
def test_prose_with_a_mark_of_code_is_kept(prose: str) -> None:
    assert lines_of(clean_text(f"Intro du texte.\n{prose}")) == ["Intro du texte.", prose]


def test_lead_in_followed_by_content_is_kept() -> None:
    raw = "Téléchargez notre note :\nElle présente notre vision."
    assert lines_of(clean_text(raw)) == ["Téléchargez notre note :", "Elle présente notre vision."]


# --------------------------------------------------------------------------- whitespace, bullets


def test_whitespace_is_normalised() -> None:
    raw = "Durable\u00a0: oui\u202f!   \nSuite\u200b du\u00adtexte\t \n\n\n\n\nFin  \n\n"
    assert clean_text(raw) == "Durable : oui !\nSuite dutexte\n\nFin"


def test_bullet_glyphs_become_one_bullet() -> None:
    raw = "-* Durable : parce que\n- Inclusive\n  ◦ Solidaire\n  •, the portal for guidance\n* item"
    assert lines_of(clean_text(raw)) == [
        "• Durable : parce que",
        "• Inclusive",
        "• Solidaire",
        "• the portal for guidance",
        "• item",
    ]


def test_numbered_items_and_hyphenated_words_are_untouched() -> None:
    raw = "1. organiser ;\n2. coordonner ;\nNord-Sud, 2011-2014, CNCD-11.11.11 - et 46.000"
    assert clean_text(raw) == raw


def test_space_before_comma_is_removed() -> None:
    assert clean_text("le CNCD-11.11.11 , Acodev , achACT") == "le CNCD-11.11.11, Acodev, achACT"


# --------------------------------------------------------------------------- real corpus

needs_corpus = pytest.mark.skipif(not CORPUS_FILES, reason="shared corpus not available")


def cleaned(name_prefix: str) -> str:
    path = next(p for p in CORPUS_FILES if p.name.startswith(name_prefix))
    return clean_text(path.read_text(encoding="utf-8"))


@needs_corpus
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name[:3])
def test_real_files_carry_no_debris(path: Path) -> None:
    text = clean_text(path.read_text(encoding="utf-8"))
    assert text.strip()
    assert not re.search(r"<[A-Za-z/!]", text), "an HTML tag survived"
    assert "\t" not in text and "\u00a0" not in text and "\u202f" not in text
    assert "Néant" not in text
    assert "Read more" not in text and "PDF - " not in text
    assert "Logo " not in text and "LLe " not in text
    assert "\n\n\n" not in text
    assert all(line == line.strip() for line in text.split("\n"))
    assert clean_text(text) == text


@needs_corpus
def test_real_aid_file_captions_and_lists() -> None:
    lines = lines_of(cleaned("004"))
    starts = [
        "The AID network is rooted in",
        "The actions of the AID network",
        "Here, we have put together the links",
        "The Pédagothèque website was created",
        "apprendre à apprendre : The website offers pedagogical resources",
        "The F.T.U. ASBL (Work-University Foundation)",
        "Banlieues, to reduce the digital divide.",
        "ECVET : At the European level, there are",
        "SFMQ Francophone Occupations and Qualifications Service",
        "CDVC the Consortium is aimed at people",
        "AEF - or Francophone agency",
        "Here, you will find organisations that specialise",
        "Wallonie : Within the Wallonia region portal",
    ]
    for start in starts:
        assert any(line.startswith(start) for line in lines), start
    assert "• MOC, Christian Workers’ Movement" in lines
    assert "• the portal for career guidance in the Belgian French-speaking community" in lines
    text = "\n".join(lines)
    assert "but no educational certificate" in text
    assert "ECVETs" in text and "The FOREM, is" in text


@needs_corpus
def test_real_wsm_sheet_table_and_fields() -> None:
    lines = lines_of(cleaned("001"))
    assert "Historique" in lines and "Mission Générale" in lines
    assert "Site web : http://www.wsm.be" in lines
    assert not any("Titre d'activité" in line or line == "Description" for line in lines)
    assert any(line.startswith("Réseaux/ Plaidoyer/ Mobilisation: Nos domaines") for line in lines)
    position = lines.index("Information & Communication:")
    assert lines[position + 1] == "• Revue Ici et Là-bas (trimestriel)"
    assert lines[lines.index("Echanges Nord-Sud:") + 2].startswith("• Missions dans le Sud")
    assert "achACT" in "\n".join(lines) and "CNCD-11.11.11," in "\n".join(lines)


@needs_corpus
def test_real_moc_file_keeps_one_paragraph_per_line() -> None:
    lines = lines_of(cleaned("000"))
    assert lines[3] == "LE CNCD-11.11.11. UNE COUPOLE D’ONG ET UN MOUVEMENT CITOYEN"
    assert lines[5].startswith("1. organiser") and lines[7].startswith("3. interpeller")
    assert any(line.startswith("Le Réseau Financité (anciennement") for line in lines)


@needs_corpus
def test_real_vision_file_bullets_and_trailing_debris() -> None:
    lines = lines_of(cleaned("002"))
    durable = "• Durable : parce que l’économie, l’écologie et le social doivent se développer"
    assert f"{durable} de concert" in lines
    assert lines[-1].startswith("Si nous souhaitons que cela change")
    assert not any("Téléchargez" in line for line in lines)
