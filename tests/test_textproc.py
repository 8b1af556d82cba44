"""Tests for assistant.core.text: folding, tokens, stop words, stems and language."""

from __future__ import annotations

import time

import pytest

from assistant.core.text import (
    OTHER,
    STOPWORDS,
    analyze,
    content_terms,
    detect_language,
    fold,
    has_cue,
    is_other_language,
    normalise_question,
    question_language,
    tokenize_words,
)

# ----------------------------------------------------------------------------- fold


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Réfugiés À Liège", "refugies a liege"),
        ("d\u2019ONG l\u2018asile l\u02bcemploi", "d'ong l'asile l'emploi"),
        ("\u00abVie F\u00e9minine\u00bb \u201cWSM\u201d", '"vie feminine" "wsm"'),
        ("2019\u20132020 \u2014 fin", "2019-2020 - fin"),
        ("46\u00a0000\u202fpersonnes", "46 000 personnes"),
        ("C\u0153ur \u00c6sop Stra\u00dfe", "coeur aesop strasse"),
        ("e\u0301te\u0301", "ete"),  # decomposed accents (macOS input)
        ("\uff37\uff33\uff2d", "wsm"),  # full-width letters
        ("mi\u00adlieu", "milieu"),  # soft hyphen
        ("WSM 是谁", "wsm 是谁"),  # other scripts are kept
    ],
)
def test_fold(text: str, expected: str) -> None:
    assert fold(text) == expected


def test_fold_is_idempotent() -> None:
    text = "L’Équipe « Pédagothèque » — 46 000 €"
    assert fold(fold(text)) == fold(text)


# ------------------------------------------------------------------------ tokenizing


def test_tokenize_acronym_with_number_matches_both_parts() -> None:
    tokens = tokenize_words("Le CNCD-11.11.11 coordonne 90 ONG")
    assert "cncd" in tokens
    assert "11.11.11" in tokens
    assert tokenize_words("CNCD") == ["cncd"]
    assert tokenize_words("11.11.11") == ["11.11.11"]


def test_tokenize_removes_french_elisions() -> None:
    assert tokenize_words("l'asile") == ["asile"]
    assert tokenize_words("d’ONG") == ["ong"]
    assert tokenize_words("qu'il jusqu'à lorsqu'elle n'est s'agit j'ai c'est m'aide t'aime") == [
        "il",
        "elle",
        "est",
        "agit",
        "ai",
        "est",
        "aide",
        "aime",
    ]


def test_tokenize_keeps_numbers_and_years() -> None:
    assert tokenize_words("46.000 personnes en 2019") == ["46.000", "personnes", "en", "2019"]
    assert tokenize_words("3,5 %") == ["3,5"]
    assert tokenize_words("en 2019.") == ["en", "2019"]


def test_tokenize_unifies_thousand_separators() -> None:
    expected = ["46.000", "membres"]
    assert tokenize_words("46.000 membres") == expected
    assert tokenize_words("46 000 membres") == expected
    assert tokenize_words("46\u00a0000 membres") == expected
    assert tokenize_words("46,000 membres") == expected
    # A year followed by a number is not a grouped number.
    assert tokenize_words("en 2019 150 personnes") == ["en", "2019", "150", "personnes"]


def test_tokenize_drops_single_letters_but_keeps_digits() -> None:
    assert tokenize_words("a-t-il 1 B x 7") == ["il", "1", "7"]


def test_tokenize_joins_dotted_acronyms() -> None:
    assert tokenize_words("une A.S.B.L. et une o.n.g") == ["une", "asbl", "et", "une", "ong"]


def test_tokenize_splits_hyphens_and_punctuation() -> None:
    assert tokenize_words("Saint-Gilles, (Bruxelles) : info@wsm.be") == [
        "saint",
        "gilles",
        "bruxelles",
        "info",
        "wsm",
        "be",
    ]
    assert tokenize_words("") == []
    assert tokenize_words("?! -- ...") == []


# ------------------------------------------------------------------------ stop words


@pytest.mark.parametrize(
    "word",
    [
        "le",
        "les",
        "des",
        "qui",
        "que",
        "quoi",
        "quel",
        "quelle",
        "quels",
        "quelles",
        "comment",
        "combien",
        "pourquoi",
        "ete",
        "the",
        "of",
        "what",
        "which",
        "who",
        "whom",
        "how",
        "many",
        "much",
        "does",
        "did",
        "est",
        "ce",
    ],
)
def test_stopwords_contain_function_and_question_words(word: str) -> None:
    assert word in STOPWORDS


@pytest.mark.parametrize(
    "word",
    [
        "logement",
        "asile",
        "ong",
        "training",
        "partners",
        "sans",
        "don",
        "ca",
        "eu",
        "may",
        "wsm",
        "cncd",
        "ciep",
        "formation",
        "economie",
        "sociale",
        "membres",
        "adresse",
    ],
)
def test_stopwords_keep_content_words(word: str) -> None:
    assert word not in STOPWORDS


def test_stopwords_are_folded() -> None:
    assert all(word == fold(word) for word in STOPWORDS)
    assert "été" not in STOPWORDS and "ete" in STOPWORDS


# ------------------------------------------------------------------------- analyzer


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("logement", "logements"),
        ("réfugiés", "réfugié"),
        ("réfugiée", "refugies"),  # feminine and missing accents
        ("fondée", "fondé"),
        ("organisations", "organisation"),
        ("training", "trainings"),
        ("partner", "partners"),
        ("internationale", "international"),
        ("coordonne", "coordonner"),
        ("soutient", "soutien"),  # -enir verbs and their nouns
        ("soutiennent", "soutien"),
        ("soutenu", "soutient"),
        ("appartient", "appartenir"),
    ],
)
def test_analyze_matches_inflections(left: str, right: str) -> None:
    assert set(analyze(left)) & set(analyze(right))


def test_analyze_drops_stop_words_and_emits_both_stems() -> None:
    assert analyze("Qui travaille sur le logement ?") == ["travaill", "log", "logement"]
    assert analyze("What does the CIEP do?") == ["ciep"]
    assert analyze("le la les of the") == []


def test_analyze_emits_one_or_two_stems_per_word() -> None:
    for word in ["logement", "training", "réfugiés", "asile", "partners", "wsm", "2019"]:
        assert 1 <= len(analyze(word)) <= 2
        assert len(set(analyze(word))) == len(analyze(word))


def test_analyze_keeps_numbers_and_acronyms_verbatim() -> None:
    assert analyze("CNCD-11.11.11 : 46.000 bénévoles en 2019") == [
        "cncd",
        "11.11.11",
        "46.000",
        "benevol",
        "2019",
    ]


def test_analyze_query_matches_document() -> None:
    doc = set(analyze("Le CNCD-11.11.11 coordonne plus de 90 ONG belges."))
    query = analyze("Combien d'ONG belges le CNCD-11.11.11 coordonne-t-il ?")
    assert set(query) <= doc


def test_analyze_is_fast() -> None:
    sample = (
        "Le Mouvement ouvrier chrétien coordonne l'action de la CSC, des Mutualités et de "
        "Vie Féminine. WSM soutient des partenaires en Afrique pour la protection sociale. "
        "The Pédagothèque website offers trainings to partners dealing with asylum. "
    )
    text = " ".join((sample.split() * 10)[:200])
    analyze(text)  # warm the stem cache, as repeated queries do
    runs = 50
    start = time.perf_counter()
    for _ in range(runs):
        analyze(text)
    per_call = (time.perf_counter() - start) / runs
    assert per_call < 0.020  # budget: under 1 ms per 10 words (measured ~0.3 ms)


# --------------------------------------------------------------------- content terms


def test_content_terms_one_term_per_word_in_order() -> None:
    assert content_terms("Qui travaille sur le logement et les logements ?") == ["travail", "log"]
    assert content_terms("What training does WSM offer, and to whom?") == [
        "train",
        "wsm",
        "offer",
    ]


def test_content_terms_conflate_inflections_of_both_languages() -> None:
    pairs = [
        ("fondée", "fondés"),
        ("réfugiée", "réfugiés"),
        ("internationale", "international"),
        ("partner", "partners"),
        ("trained", "trainings"),
        ("workers", "working"),
    ]
    for left, right in pairs:
        assert content_terms(left) == content_terms(right), (left, right)


def test_content_terms_same_word_same_term_in_any_language_context() -> None:
    english = content_terms("Who created the Pédagothèque website?")
    french = content_terms("La Pédagothèque a été créée par le CIEP.")
    assert "pedagothequ" in english and "pedagothequ" in french


def test_content_terms_keep_numbers_and_names() -> None:
    assert content_terms("Le CNCD-11.11.11 en 2019") == ["cncd", "11.11.11", "2019"]
    assert content_terms("Que fait le ?") == []


# ---------------------------------------------------------------- language detection


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Qui travaille sur le logement ?", "fr"),
        ("Combien d'ONG belges le CNCD-11.11.11 coordonne-t-il ?", "fr"),
        ("Et son adresse ?", "fr"),
        ("What does the CIEP do?", "en"),
        ("Who created the Pédagothèque website?", "en"),
        ("How many members does it have?", "en"),
        ("Wie is de voorzitter van het ACV?", None),
        ("¿Quién fundó WSM?", None),
        ("Wer hat WSM gegründet?", None),
        ("WSM ?", None),
        ("", None),
        ("2019 ?", None),
        ("WSM是谁创建的？", None),
    ],
)
def test_detect_language_brief_examples(text: str, expected: str | None) -> None:
    assert detect_language(text) == expected


FRENCH_QUESTIONS = [
    "Quand WSM a-t-elle été fondée ?",
    "S'il existe un Resto du Cœur à Liège, où est-il ?",  # "S'il" is no English "'s"
    "Que fait le CIEP ?",
    "qui travaille sur le logement ?",
    "Quelles organisations de conseil en économie sociale à Liège ?",
    "Où se trouve le siège de la CSC ?",
    "C'est quoi l'économie sociale ?",
    "Quels sont les partenaires de WSM au Pérou ?",
    "Y a-t-il des formations pour les jeunes ?",
    "Le MOC existe depuis quand ?",
    "Combien de membres compte la CSC ?",
    "Est-ce que WSM travaille en Afrique ?",
    "À qui s'adresse la formation ?",
    "Et le CNCD ?",
    "Je cherche un logement",
    "Comment devenir bénévole ?",
]
ENGLISH_QUESTIONS = [
    "What training does WSM offer, and to whom?",
    "Which partners deal with asylum?",
    "When was WSM founded?",
    "Where is the CSC office?",
    "Is WSM active in Peru?",
    "Who is the president of MOC?",
    "How can I volunteer?",
    "Does WSM work in Africa?",
    "What about Bolivia?",
    "Tell me about the Pédagothèque",
    "Which organisations work on housing in Brussels?",
    "And the CNCD?",
    "I am looking for housing",
    "Who funds WSM?",
    "Summarise Eurodiaconia's history.",  # content words only: the possessive tells
]


@pytest.mark.parametrize("text", FRENCH_QUESTIONS)
def test_detect_french_questions(text: str) -> None:
    assert detect_language(text) == "fr"
    assert question_language(text, default="en") == "fr"
    assert not is_other_language(text)


@pytest.mark.parametrize("text", ENGLISH_QUESTIONS)
def test_detect_english_questions(text: str) -> None:
    assert detect_language(text) == "en"
    assert question_language(text, default="fr") == "en"
    assert not is_other_language(text)


@pytest.mark.parametrize(
    "text",
    [
        "Wie is de voorzitter van het ACV?",
        "Wat doet WSM in België?",
        "¿Quién fundó WSM?",
        "¿Qué es WSM?",
        "Wer hat WSM gegründet?",
        "Chi ha fondato WSM?",
        "O que é a WSM?",
        "WSM是谁创建的？",
        "Кто основал WSM?",
    ],
)
def test_other_languages(text: str) -> None:
    assert detect_language(text) is None
    assert is_other_language(text)
    assert question_language(text) == OTHER


@pytest.mark.parametrize(
    "text", ["WSM ?", "FOREM", "CSC WSM CNCD ?", "Forem ?", "", "???", "2019", "CIEP"]
)
def test_names_alone_are_not_other_language(text: str) -> None:
    assert not is_other_language(text)
    assert question_language(text) == "fr"
    assert question_language(text, default="en") == "en"


def test_names_do_not_change_language() -> None:
    assert detect_language("Que fait le FOREM ?") == "fr"
    assert detect_language("What does FOREM do?") == "en"
    assert not is_other_language("Que fait le FOREM avec la CSC et WSM ?")


def test_all_caps_names_are_not_evidence() -> None:
    # Upper-case words in mixed-case text are names, even if they spell foreign words.
    assert detect_language("Que sont DIE UND DAS ?") == "fr"
    assert not is_other_language("Que sont DIE UND DAS ?")


def test_french_elisions_are_evidence() -> None:
    assert detect_language("L'asile ?") == "fr"
    assert detect_language("D'où vient WSM ?") == "fr"


def test_french_accents_break_a_tie_only() -> None:
    assert detect_language("Pédagothèque ?") == "fr"
    assert detect_language("Who created the Pédagothèque website?") == "en"


def test_long_texts() -> None:
    french = (
        "Le Mouvement ouvrier chrétien rassemble plusieurs organisations qui défendent les "
        "droits des travailleurs et de leurs familles en Belgique."
    )
    english = "WSM supports partner organisations that fight for social protection and decent work."
    assert detect_language(french) == "fr"
    assert detect_language(english) == "en"


# ------------------------------------------------------------------------- questions


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Que fait\tle\nCIEP ?  ", "Que fait le CIEP ?"),
        ("Qui\r\n\r\ntravaille ?", "Qui travaille ?"),
        ("WSM\x00\x07 ?", "WSM ?"),
        ("Quand\u200b WSM\u00a0?", "Quand WSM ?"),
        ("e\u0301te\u0301", "\u00e9t\u00e9"),  # NFC
        ("\ufeffBonjour", "Bonjour"),
        ("   ", ""),
        ("", ""),
    ],
)
def test_normalise_question(text: str, expected: str) -> None:
    assert normalise_question(text) == expected


def test_normalise_question_keeps_case_and_punctuation() -> None:
    text = "L’ONG « WSM » a-t-elle 46.000 membres ?"
    assert normalise_question(text) == text


def test_cues_are_whole_words() -> None:
    # One matcher for the answer engine's cues and the directory's routing cues.
    assert has_cue("Qui est le directeur actuel de la FOPES ?", ["actuel"])
    assert not has_cue("Qui dirige actuellement la FOPES ?", ["actuel"])
    assert not has_cue("who knows the FOPES", ["now"])
    assert has_cue("Qui a mis sur pied le CIEP ?", ["mis sur pied"])
    assert has_cue("combien d'organisations", ["combien "])  # a word start
    assert has_cue("combiend", ["combien "]) is False
    assert not has_cue("", ["actuel"])
