"""Entry heuristics: does a paragraph name what it describes ("X est ...", "X: ...",
"X - ...", "X, the ..."), does a heading name an item its first paragraph restates?"""

from __future__ import annotations

import re

from assistant.core.names import is_acronym
from assistant.core.sentences import sentence_spans


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Words that open a sentence without naming its subject: such a paragraph is not a
# self-titled entry ("Pour Solidarité Mondiale, ... est clair" is prose).
_NON_SUBJECT_STARTERS = _word_set(
    "avec pour dans depuis en par via sur au aux à a ici là là-bas ainsi cela ceci ce cet "
    "cette ces ses son sa leur leurs nos notre nous il ils elle elles on tous toutes tout si "
    "bien comme selon outre après avant lorsque quand un une de des du d here there within "
    "in at also for with since we our it its they their this these those to by as after "
    "before finally moreover however when if an plus moins tant telle tel tels telles voici "
    "voilà déjà toujours jamais aujourd’hui aujourd'hui more less such today then so"
)
_ANAPHORA = _word_set("il elle ils elles sa son ses leur leurs it its they their he she his her")
_ENTRY_VERBS = (
    r"(?:est|sont|était|étaient|sera|a pour|ont pour|vise|visent|travaille|travaillent|"
    r"regroupe|regroupent|réunit|réunissent|rassemble|rassemblent|coordonne|propose|offre|"
    r"milite|fédère|représente|permet|is|are|was|were|aims|aim|provides|offers|brings|"
    r"gathers|works|proposes|represents|enables|helps|promotes|supports)"
)
# The subject may hold the dots of an acronym ("The F.T.U. ASBL aims to ...").
_SUBJECT_VERB = re.compile(
    rf"^(?P<subject>(?:[^.!?:;]|(?<=[A-Z])\.){{2,160}}?),?\s+{_ENTRY_VERBS}(?!\w)"
)
_VERB_IN_SENTENCE = re.compile(rf"\s{_ENTRY_VERBS}(?!\w)")
_LABEL_DESCRIPTION = re.compile(r"^(?P<label>[^:.!?]{2,60}?)\s?:\s+(?P<desc>\S.*)$")
_NAME_DASH = re.compile(r"^(?P<name>[^.!?:;,]{1,60}?)\s+[-–—]\s+(?P<desc>\S.*)$")
_NAME_APPOSITION = re.compile(
    r"^(?P<name>[^\W\d_][\w’'&.-]*(?:\s+[^\W\d_][\w’'&.-]*){0,3}),\s+(?P<rest>[a-zà-ÿ].*)$"
)
_ARTICLE = re.compile(r"^(?:(?:le|la|les|the)\s+|l[’'])", re.IGNORECASE)


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.casefold())


def restates(heading: str, first_text: str) -> bool:
    """Does the first paragraph under `heading` repeat it? Then the heading names an item
    ("Appel pour une école démocratique" / "L'Appel pour une école démocratique est ...")."""
    first_sentence = first_text[slice(*sentence_spans(first_text, 0, len(first_text))[0])]
    # Only the sentence's subject counts: a topic heading ("Social economy") is often
    # echoed later in its introduction ("... anchored in the social economy").
    verb = _VERB_IN_SENTENCE.search(first_sentence)
    if verb is not None:
        first_sentence = first_sentence[: verb.start()]
    else:
        first_sentence = " ".join(first_sentence.split()[:10])
    heading_words = _words(heading)
    sentence = f" {' '.join(_words(first_sentence))} "
    for size in range(len(heading_words), 1, -1):
        if size / len(heading_words) < 0.6:
            break
        if f" {' '.join(heading_words[:size])} " in sentence:
            return True
    for token in re.split(r"[\s’']+", heading):
        token = token.strip(".,;:()")
        pattern = rf"(?<![\w-]){re.escape(token)}(?![\w-])"
        if is_acronym(token) and re.search(pattern, first_sentence):
            return True
    return False


def _names_a_subject(subject: str) -> bool:
    """A name ("La Coalition Climat", "Actiris, the Brussels office"), not an adverbial
    opening ("Plus que jamais, les mouvements") nor a pronoun ("Telle", "Nous")."""
    words = subject.split()
    if not words or len(words) > 12:
        return False
    first = re.split(r"[’']", words[0].casefold().strip(",;()"))[0]
    if first in _NON_SUBJECT_STARTERS:
        return False
    head, comma, rest = subject.partition(",")
    if comma and rest.strip()[:1].islower() and not _is_name(head):
        return False
    return _ARTICLE.sub("", subject)[:1].isupper()


def _is_name(text: str) -> bool:
    words = text.split()
    return bool(words) and all(word[:1].isupper() or word[:1].isdigit() for word in words)


def is_self_titled(text: str, *, allow_colon: bool = False) -> bool:
    """A paragraph that names what it describes: "X est ...", "X: ...", "X - ...", "X, the ..."."""
    if text.endswith(":") and not allow_colon:
        return False
    subject_verb = _SUBJECT_VERB.match(text)
    if subject_verb and _names_a_subject(subject_verb["subject"]):
        return True
    label = _LABEL_DESCRIPTION.match(text)
    if label and _is_label(label["label"]) and _is_description(label["desc"]):
        return True
    dash = _NAME_DASH.match(text)
    if dash and _is_label(dash["name"]) and len(dash["desc"].split()) >= 4:
        return True
    return _is_apposition(text)


def _is_label(label: str) -> bool:
    return len(label.split()) <= 6 and label[:1].isalpha() and label[:1].isupper()


def _is_description(description: str) -> bool:
    words = len(description.split())
    return words >= 10 or (words >= 6 and description.rstrip()[-1:] in ".!?…")


def _is_apposition(text: str) -> bool:
    """Apposition "NAME, the ...": NAME is an acronym or comes back later in the paragraph."""
    match = _NAME_APPOSITION.match(text)
    if match is None:
        return False
    name = match["name"]
    if not _is_name(name):
        return False
    return is_acronym(name) or re.search(rf"\b{re.escape(name)}\b", match["rest"]) is not None


def starts_with_anaphora(text: str) -> bool:
    words = _words(text[:20])
    return bool(words) and words[0] in _ANAPHORA
