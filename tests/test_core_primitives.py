"""The text primitives every stage shares (assistant/core): acronyms, sentences, list marks
and whole-word matching, one version each. Where the stages' own copies disagreed, the cases
below say which behaviour was kept."""

from __future__ import annotations

import pytest

from assistant.core.addresses import names_a_street, street_words
from assistant.core.lists import (
    BULLET,
    GLYPH_BULLET,
    LIST_MARK,
    RAW_BULLET,
    is_list_mark,
    strip_list_mark,
)
from assistant.core.names import is_acronym
from assistant.core.sentences import first_sentence, sentence_spans, sentences
from assistant.core.text import first_position, folded_words, has_cue, has_word, without_words

# --------------------------------------------------------------------------- acronyms


@pytest.mark.parametrize("token", [
    "UN",  # two capitals are enough (chunking asked for three letters)
    "achACT", "SAW-B",  # mostly capitals is enough (core.names asked for all)
    "ASBL", "CSC", "CNCD-11.11.11", "F.T.U.", "CIRÉ",  # accented capitals count (extraction's
    "R&D", "ACW/MOC", "MOC,",  # did not) and so do the marks acronyms carry
])
def test_is_acronym(token: str) -> None:
    assert is_acronym(token)


@pytest.mark.parametrize("token", [
    "LA COALITION",  # two words are no acronym (chunking and core.names said yes)
    "Oxfam", "UCLouvain", "C", "11.11.11", "a.s.b.l.", "(MOC)", "ABCDEFGHIJKLMNOPQ",
])
def test_is_not_acronym(token: str) -> None:
    assert not is_acronym(token)


# --------------------------------------------------------------------------- sentences


def test_sentences_spare_abbreviations_acronyms_initials_and_list_numbers() -> None:
    text = ("La F.T.U. ASBL aide e.g. les ONG. M. Dupont et J. Martin en 2. Puis 1974. [1] "
            "Ensuite (MOC, CSC, ANMC...) Formations etc. et la fin…")
    assert sentences(text) == [
        "La F.T.U. ASBL aide e.g. les ONG.",
        "M. Dupont et J. Martin en 2. Puis 1974.",
        "[1] Ensuite (MOC, CSC, ANMC...)",
        "Formations etc. et la fin…",
    ]


def test_sentence_spans_cover_the_text_and_first_sentence() -> None:
    text = "Première phrase. Deuxième phrase!  Troisième"
    spans = sentence_spans(text)
    assert "".join(text[a:b] for a, b in spans) == text
    assert spans[0][0] == 0 and spans[-1][1] == len(text) and len(spans) == 3
    assert sentence_spans(text, 17, 34) == [(17, 34)]
    assert first_sentence(text) == "Première phrase."
    assert first_sentence("") == ""


# --------------------------------------------------------------------------- list marks


@pytest.mark.parametrize("line, mark", [
    ("• item", "• "), ("- item", "- "), ("* item", "* "), ("– item", "– "),
    ("1. item", "1. "), ("  12) item", "  12) "),
    ("12.5 millions", None), ("2018) item", None), ("-item", None), ("Item", None),
])
def test_list_mark(line: str, mark: str | None) -> None:
    found = LIST_MARK.match(line)
    assert (found.group(0) if found else None) == mark


def test_bullets_and_raw_bullets() -> None:
    assert strip_list_mark("1. En coopérant") == "En coopérant"
    assert BULLET.match("x • item", 2) and not BULLET.match("1. item")  # numbers stay
    assert RAW_BULLET.match("◦ item") and RAW_BULLET.match("-* item") and RAW_BULLET.match("+ a")
    assert not RAW_BULLET.match("◦item") and GLYPH_BULLET.match("◦item")
    assert not GLYPH_BULLET.match("- item")


# --------------------------------------------------------------------------- whole words


def test_whole_words_across_elisions_hyphens_and_accents() -> None:
    # The old copies split words differently: has_cue kept "l'" and "-" inside a word (so
    # "actuel" was not in "l'actuel"), extraction's has_word kept "&". Both sides are now
    # compared as their folded words.
    assert folded_words("l'ONG CNCD-11.11.11 R&D") == "l ong cncd 11 11 11 r d"
    assert has_word("Quelle est l'actuelle présidente ?", ["actuelle"])
    assert has_word("les organisations d'aujourd'hui", ["aujourd'hui"])
    assert has_word("Qui a co-fondé le CIEP ?", ["co-fonde"])
    assert has_word("le MOC s'investit", ["MOC"]) and not has_word("école démocratique", ["MOC"])
    assert not has_word("Qui dirige actuellement la FOPES ?", ["actuel"])
    assert not has_word("texte", ["", " "])
    assert has_cue("combien d'organisations", ["combien "])


def test_first_position_orders_words_as_the_text_does() -> None:
    head = "un guide publié par le réseau"
    guide, network = first_position(head, ["guide"]), first_position(head, ["reseau", "x"])
    assert guide is not None and network is not None and guide < network
    assert first_position(head, ["ecole"]) is None


# --------------------------------------------------------------------------- street words


def test_street_words_are_one_list() -> None:
    # The directory's list (with "square", "chemin", "street", ...) is the one kept; the
    # answer engine's detectors had a shorter one of their own.
    assert {"rue", "chaussee", "quai", "square", "street", "road"} <= street_words()
    assert names_a_street("Chaussée de Haecht 579") and names_a_street("12 Station Road")
    assert names_a_street("Square Ambiorix 10")
    assert not names_a_street("Ruelle des Tanneurs") and not names_a_street("4000 Liège")


def test_joined_characters_stay_inside_words() -> None:
    # The directory's town search kept hyphens inside words with a matcher of its own.
    assert has_word("siège à Bruxelles", ["bruxelles"], joined="-")
    assert not has_word("Fédération Wallonie-Bruxelles", ["bruxelles"], joined="-")
    assert has_word("Fédération Wallonie-Bruxelles", ["bruxelles"])


def test_list_mark_alone_and_words_taken_out() -> None:
    # For the answer engine's own copies (units.LIST_PREFIX, directory_answers.without_names).
    assert is_list_mark("• ") and is_list_mark("  2)") and is_list_mark("-")
    assert not is_list_mark("Voici : ") and not is_list_mark("")
    question = "Qui sont les partenaires du CNCD-11.11.11 et du CNCD ?"
    expected = "qui sont les partenaires du et du"
    assert without_words(question, ["CNCD", "CNCD-11.11.11", ""]) == expected
