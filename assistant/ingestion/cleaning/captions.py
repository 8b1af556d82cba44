"""Image captions glued to the text by scrapers ("Logo XYZThe network ...", "Poignée de
mainsThe actions ..."): cut off, or kept as a lead-in when a logo names the organisation."""

from __future__ import annotations

import re

from assistant.core.lists import RAW_BULLET


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Capitalised function words that open a sentence. A caption glued to one of them is
# recognisable ("Dame qui étudieThe AID network"); a glued proper noun is not.
SENTENCE_OPENERS = _word_set(
    """The This These Those Here There It Its In At On Our We With Within For From As
    Since After Before By To Through Le La Les Un Une Des Ce Cet Cette Ces Il Ils Elle
    Elles Nous Notre Nos Dans Pour Avec Depuis Par Sur En Au Aux Ici Voici Son Sa Ses
    Leur Leurs Cela Chaque"""
)
# Image-caption markers left by scrapers in front of the alt text.
_CAPTION_MARKERS = ("Logo", "Image", "Photo", "Icon", "Icône", "Illustration", "Picture", "Visuel")
_MARKER = re.compile(rf"(?<!\S)(?:{'|'.join(_CAPTION_MARKERS)})\s+")
LONE_CAPTION = re.compile(rf"^(?:{'|'.join(_CAPTION_MARKERS)})(?:\s+[^\s.!?:;,]+){{0,4}}$")


def _starts_with_opener(text: str, min_letters: int) -> bool:
    """True when `text` begins with a sentence-opening function word ("The ", "Here,")."""
    word = re.match(r"[^\W\d_]+", text)
    if word is None:
        return False
    if text[:2] in ("L’", "L'", "D’", "D'") and len(text) > 2 and text[2].isalpha():
        return True
    after = text[word.end() : word.end() + 1]
    return (
        word.group(0) in SENTENCE_OPENERS
        and len(word.group(0)) >= min_letters
        and (not after or not after.isalnum())
    )


def _glue_point(token: str, *, after_marker: bool) -> int | None:
    """Where a caption glued to the next word ends inside `token`, or None.

    Without a caption marker only "lowercase + sentence opener" counts ("métiersHere").
    After a marker ("Logo ...") three more shapes are accepted: a repeated word
    ("NameName, ..."), an acronym before an opener ("ABCThe"), an acronym before a
    lower-case word ("ABCDeducational").
    """
    if after_marker and token[:1].isupper():
        for size in range(3, len(token) // 2 + 1):
            if token[:size].isalpha() and token[size : 2 * size] == token[:size]:
                return size
    # Without a marker, two-letter openers are too risky ("LinkedIn page").
    min_letters = 2 if after_marker else 3
    for i in range(2, len(token)):
        previous, current = token[i - 1], token[i]
        if not current.isupper() or not _starts_with_opener(token[i:], min_letters):
            continue
        if previous.islower() or (after_marker and previous.isupper()):
            return i
    if after_marker:
        upper = re.match(r"[A-ZÀ-ÖØ-Þ]{2,}(?=[a-zß-öø-ÿ]{3,}\b)", token)
        if upper:
            return upper.end()
    return None


def _is_caption_word(token: str) -> bool:
    return bool(re.fullmatch(r"[^\W\d_][\w’'\-]*", token))


def remove_marked_caption(line: str) -> str:
    """Marked caption: "Photo XYZThe text" -> "The text" (up to 4 caption words, last glued).
    A logo's caption is the organisation's name, which the text may not repeat ("Logo
    apprendre à apprendreThe website offers ..."): it is kept as a lead-in."""
    for marker in _MARKER.finditer(line):
        tokens = re.finditer(r"\S+", line[marker.end() :])
        for count, token in enumerate(tokens):
            if count >= 4 or not _is_caption_word(token.group(0).rstrip(",.;:")):
                break
            point = _glue_point(token.group(0), after_marker=True)
            if point is not None:
                cut = marker.end() + token.start() + point
                rest = line[cut:]
                if not _is_sentence_rest(rest):
                    break
                caption = line[marker.end() : cut].strip()
                opens_line = not re.search(r"\w", line[: marker.start()])
                if (marker.group(0).strip() == "Logo" and opens_line
                        and not _opens_with(rest, caption)):
                    return f"{line[: marker.start()]}{caption} : {rest}"
                return line[: marker.start()] + rest
    return line


def _opens_with(text: str, name: str) -> bool:
    """Does the text open with the name, however it is dotted or cased ("F.T.U." / FTU)?"""
    def squeeze(value: str) -> str:
        return re.sub(r"[\W_]+", "", value).casefold()
    opening = squeeze(" ".join(text.split()[:4]))
    return opening.startswith(squeeze(name)) or opening.startswith("the" + squeeze(name))


def _is_sentence_rest(text: str) -> bool:
    """What follows a glued caption must read as a sentence, not as one more name."""
    return len(text.split()) >= 3


def remove_leading_caption(line: str) -> str:
    """Caption at line start: "Poignée de mainsThe actions..." -> "The actions..."."""
    prefix = RAW_BULLET.match(line)
    start = prefix.end() if prefix else 0
    for count, token in enumerate(re.finditer(r"\S+", line[start:])):
        word = token.group(0)
        if count >= 4 or (count == 0 and not word[:1].isupper()):
            break
        point = _glue_point(word, after_marker=False)
        if point is not None:
            cut = start + token.start() + point
            return line[:start] + line[cut:] if _is_sentence_rest(line[cut:]) else line
        if not _is_caption_word(word):
            break
    return line
