"""Detectors of what a sentence holds: the answer types a question may ask for (a year, a
count, a place, a phone number, an e-mail address, a web address, a sum of money, a
frequency, a person's name). Not one country's formats: phone numbers are read by
``phonenumbers`` (any country's, written nationally for the regions below or internationally
with +), places by street words of several languages (core/data/addresses.toml), post codes
of several forms, and "in/à + a capitalised place name"."""

from __future__ import annotations

import re
from functools import cache
from typing import Protocol

import phonenumbers

from assistant.core.addresses import names_a_street
from assistant.core.names import calendar_words, is_organisation_noun
from assistant.core.text import STOPWORDS, fold
from assistant.core.wordlists import word_lists


class Detector(Protocol):
    def search(self, text: str) -> object | None: ...


NUMBER_WORDS = frozenset(
    {
        "un", "une", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix",
        "one", "two", "three", "four", "five", "seven", "eight", "nine", "ten",
    }
)
# The numbers a question may write in words ("What are WSM's four strategies?").
NUMBER_VALUES = {
    "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9,
    "dix": 10, "onze": 11, "douze": 12, "two": 2, "three": 3, "four": 4, "five": 5, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}
# What a count can be written as, digits aside ("une vingtaine de pays", "thousands").
COUNT_WORDS = re.compile(
    r"\b(deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|vingt|trente|quarante"
    r"|cinquante|soixante|cent|mille|dizaines?|douzaines?|quinzaines?|vingtaines?|trentaines?"
    r"|quarantaines?|cinquantaines?|centaines?|milliers?|millions?|two|three|four|five|six"
    r"|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundreds?|thousands?"
    r"|millions?|dozens?)\b",
    re.IGNORECASE,
)
YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")
# The months' names, French and English ("May" alone is left out: the verb).
MONTHS = (r"janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|novembre"
          r"|d[ée]cembre|january|february|march|april|june|july|august|september|october"
          r"|november|december")
# A date: a year, a month's name, or a day written in digits ("15/05", "2016-10-03").
DATE = re.compile(
    r"\b(?:1[5-9]\d\d|20\d\d)\b|\b\d{1,2}[/.-]\d{1,2}(?:[/.-]\d{2,4})?\b"
    rf"|\b(?:{MONTHS})\b", re.IGNORECASE)
# A day before its month ("le 3 octobre", "1st of May"): a date, not a count.
DAY_OF_MONTH = re.compile(
    rf"\b\d{{1,2}}(?:er|st|nd|rd|th)?\s+(?:of\s+)?(?=(?:{MONTHS}|may)\b)", re.IGNORECASE)
# A length of time: a number (digits or words) and a unit of time ("10 semaines", "un mois",
# "two years", "20h", "18 hours of work").
DURATION = re.compile(
    r"\b(?:\d+(?:[.,]\d+)?|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|douze|quinze"
    r"|vingt|trente|quelques|plusieurs|a|an|one|two|three|four|five|six|seven|eight|nine|ten"
    r"|twelve|fifteen|twenty|thirty|a few|several)[ -]?(?:heures?|h|jours?|journees?|journées?"
    r"|demi-journees?|demi-journées?|semaines?|mois|ans|annees|années|hours?|days?|weeks?"
    r"|months?|years?|half-days?)\b"
    # a span of years: "2011-2014", "de 2011 à 2014", "from 2011 to 2014"
    r"|\b(?:1[5-9]\d\d|20\d\d)\s*[-–]\s*(?:1[5-9]\d\d|20\d\d)\b"
    r"|\b(?:de|from|between|entre)\s+(?:1[5-9]\d\d|20\d\d)\s+(?:à|a|to|and|et)\s+"
    r"(?:1[5-9]\d\d|20\d\d)\b",
    re.IGNORECASE)
NUMBER = re.compile(r"\d")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
WEB = re.compile(r"(?:https?://|www\.)\S+"
                 r"|\b[\w-]+(?:\.[\w-]+)*\.(?:be|org|com|eu|net|fr|lu|nl|de|uk|int|info|ch)\b",
                 re.IGNORECASE)
AMOUNT = re.compile(r"[€$£]|\b(?:eur|euros?|usd|dollars?|francs?|livres sterling|pounds?)\b",
                    re.IGNORECASE)
FREQUENCY = re.compile(
    r"\b(?:(?:bi|tri|se)?(?:mensuel|mestriel|annuel|hebdomadaire|quotidien)\w*"
    r"|trimestriel\w*|semestriel\w*|chaque (?:annee|année|an|mois|semaine|jour)"
    r"|tous les (?:\w+ )?(?:ans|mois|jours|semaines)|(?:une|deux|trois|quatre|\d+) fois"
    r"|par (?:an|mois|semaine|jour)|(?:bi|tri)?(?:monthly|weekly|annual|annually|yearly"
    r"|daily|quarterly)|every (?:\w+ )?(?:years?|months?|weeks?|days?)"
    r"|each (?:year|month|week|day)|(?:once|twice|\w+ times)|per (?:year|month|week|day))\b",
    re.IGNORECASE,
)
PLACE_LEAD = re.compile(
    r"\b(?:à|a|in|en|au|aux|at|near|près de|pres de|dans la ville de|based in|basée à|basé à"
    r"|située? à|located in|se situe à|se trouve à)\s+(?:la |le |l'|l’|the )?"
    r"(?P<place>[A-ZÀ-Ý][\w'’-]+)")
_CODE_AND_TOWN = r"\d{4,5}\s+[A-ZÀ-Ý][\w'’-]+"  # 1030 Schaerbeek, 75001 Paris
_UK_POSTCODE = r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b"  # SY1 1DN
POSTCODE = re.compile(rf"\b(?:[A-Z]-?)?{_CODE_AND_TOWN}|{_UK_POSTCODE}")


@cache
def detector_words(key: str) -> frozenset[str]:
    """A word list of data/detectors.toml (not_places, phone_regions)."""
    return frozenset(word_lists("answering", "detectors")[key])


@cache
def not_places() -> frozenset[str]:
    """Capitalised words after "in"/"à" that name no place: months, days, languages."""
    return calendar_words() | detector_words("not_places")


class PlaceDetector:
    """A street address, a post code and town, or "à/in <Place>" (not "in June")."""

    def search(self, text: str) -> object | None:
        if POSTCODE.search(text):
            return True
        if names_a_street(text) and NUMBER.search(text):
            return True
        return next((m for m in PLACE_LEAD.finditer(text)
                     if fold(m.group("place")) not in not_places()), None)


NATIONAL_DIGITS = 8


# A post code where an address writes one: opening the text or a line, after a comma, a
# semicolon, a bullet or a country letter ("…169, 5060 Sambreville", "F-75001 Paris"); a
# year before a capitalised word ("le 26/08/2020 Reprise", "En 1974 Solidarité") is not one.
POSTCODE_IN_ADDRESS = re.compile(rf"(?:^|[,;•\n]\s*|\b[A-Z]-){_CODE_AND_TOWN}|{_UK_POSTCODE}",
                                 re.MULTILINE)


class StreetDetector:
    """A street address proper: a street word with a number, or a post code and town."""

    def search(self, text: str) -> object | None:
        if POSTCODE_IN_ADDRESS.search(text):
            return True
        return bool(NUMBER.search(text)) and names_a_street(text) or None


class PhoneDetector:
    """A phone number of one of the listed regions, or any country's written with +."""

    def search(self, text: str) -> object | None:
        if sum(c.isdigit() for c in text) < 6:
            return None
        for region in sorted(detector_words("phone_regions")):
            for match in phonenumbers.PhoneNumberMatcher(text, region):
                # Written nationally, a number has 8 digits or more: shorter runs are street
                # numbers and post codes ("Haecht 579 1030" is a valid number in Luxembourg).
                if match.raw_string.startswith("+") or sum(
                        c.isdigit() for c in match.raw_string) >= NATIONAL_DIGITS:
                    return match
        return None


# What numbers something rather than counts it: "charity number 1079986", "N° d'entreprise :
# 0445.741.823", "Tél. 02 223 05 12", "TVA : 0417.123.456".
IDENTIFIER = re.compile(
    r"\b(?:n[°o]\.?|num[eé]ro|number|no\.|t[eé]l[eé]?(?:phone)?\.?|fax\.?|phone|registered"
    r"|tva|vat|bce|iban|bic)\s*(?:d['’]\w+\s*)?[:.]?\s*[+\d][\d .\-/]*\d", re.IGNORECASE)


# The lower end of a range of ages or times ("jeunes de 15 à 30 ans", "18-25 years old"):
# removed with the length of time that follows it.
AGE_RANGE = re.compile(
    r"\b\d+\s*(?:à|a|-|–|to|and|et)\s*(?=\d+[ -]?(?:ans|years?)\b)", re.IGNORECASE)


class CountDetector:
    """A number in digits or in words ("une vingtaine", "thousands"), dates aside: a year or
    a day of the month ("créé en 1945", "le 3 octobre 2016") counts nothing, and quoting
    one for "Combien de bénévoles ?" took the place of "je ne trouve pas" (bench/QUALITY.md,
    2026-12-07 10:05); nor does a number that identifies (a charity, company or phone
    number, an e-mail or web address), nor a length of time or an age ("fête ses 80 ans",
    "jeunes de 15 à 30 ans": questions about those are duration questions, kinds.toml)."""

    def search(self, text: str) -> object | None:
        text = counting_numbers(text)
        return NUMBER.search(text) or COUNT_WORDS.search(text)


def counting_numbers(text: str) -> str:
    """The text with its numbers that count nothing blanked (dates, lengths of time, ages,
    identifiers)."""
    text = DURATION.sub(" ", AGE_RANGE.sub(" ", DATE.sub(" ", DAY_OF_MONTH.sub(" ", text))))
    return IDENTIFIER.sub(" ", EMAIL.sub(" ", WEB.sub(" ", text)))


# How far a count's number and the word of what it counts may stand ("23 associations
# membres", "100.000 plus de personnes aidées").
COUNTED_WINDOW = 3


@cache
def counted_classes() -> dict[str, frozenset[str]]:
    """What a count counts, by class (data/detectors.toml)."""
    classes = word_lists("answering", "detectors")["counted_classes"]
    return {name: frozenset(words) for name, words in classes.items()}


def class_of(word: str) -> str:
    """The class of a counted word ("salaries": "people"), "" when it has none."""
    return next((name for name, words in counted_classes().items() if word in words), "")


def classes_counted(text: str) -> set[str]:
    """The classes the text's counts count: for each number (dates, lengths of time and
    identifiers aside), the class of the first word of a class at most COUNTED_WINDOW words
    after it."""
    text = counting_numbers(text)
    words = [w.strip(".,;:!?()«»\"") for w in fold(text).replace("'", " ").split()]
    found = set()
    for i, word in enumerate(words):
        if NUMBER.search(word) or COUNT_WORDS.fullmatch(word):
            after = (class_of(w) for w in words[i + 1 : i + 1 + COUNTED_WINDOW])
            counted = next((c for c in after if c), "")
            if counted:
                found.add(counted)
    return found


# A person's name: two to four capitalised words (particles between them: "Benoît Van der
# Meerschen", "Jean-Marc Le Roy"), or a title and a capitalised word ("Mme Durand").
PERSON_RUN = re.compile(
    r"(?<![\w'’-])[A-ZÀ-Ý][a-zà-ÿ'’]+(?:-[A-ZÀ-Ý][a-zà-ÿ]+)?"
    r"(?:\s+(?:(?:de|du|des|van|von|der|den|le|la|di|da|dos|del|d'|d’)\s*)*"
    r"[A-ZÀ-Ý][a-zà-ÿ'’]+(?:-[A-ZÀ-Ý][a-zà-ÿ]+)?){1,3}")
PERSON_TITLE = re.compile(
    r"\b(?:M\.|Mme|Mlle|Mr\.?|Mrs\.?|Ms\.?|Dr\.?|Prof\.?)\s+[A-ZÀ-Ý][a-zà-ÿ]+")
PARTICLES = frozenset({"de", "du", "des", "van", "von", "der", "den", "le", "la", "di", "da",
                       "dos", "del"})


class PersonDetector:
    """A person's name ("Dave Garratt", "Benoît Van der Meerschen", "Mme Durand"): a run of
    capitalised words none of which is a stop word, a kind of organisation ("Commission",
    "Mouvement"), a month or a day; the question's own names are blanked before (features.
    holds_type)."""

    def search(self, text: str) -> object | None:
        if PERSON_TITLE.search(text):
            return True
        for match in PERSON_RUN.finditer(text):
            words = [w for w in re.split(r"[\s'’]+", match.group(0)) if w]
            folded = [fold(w) for w in words if fold(w) not in PARTICLES]
            if len(folded) >= 2 and not any(
                    w in STOPWORDS or is_organisation_noun(w) or w in calendar_words()
                    for w in folded):
                return match
        return None


PLACE = PlaceDetector()
STREET = StreetDetector()
PHONE = PhoneDetector()
PERSON = PersonDetector()
COUNT = CountDetector()
# Detectors by answer type (kinds.toml's ``type``); "number" and "address" are the profile's
# older names of "count" and "place".
TYPE_PATTERNS: dict[str, Detector] = {
    "year": YEAR, "date": DATE, "count": COUNT, "number": COUNT, "place": PLACE,
    "address": PLACE, "street": STREET, "web": WEB, "phone": PHONE, "email": EMAIL,
    "amount": AMOUNT, "frequency": FREQUENCY, "duration": DURATION, "person": PERSON,
}
# Kinds no other sentence can answer, and whose word the answer need not repeat (a street
# answers "l'adresse", "Tél. : 02 ..." the phone number): the focus word is dropped.
REQUIRED_KINDS = ("phone", "email", "amount", "frequency", "street")
