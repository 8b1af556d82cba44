"""Detectors of what a sentence holds (a year, a number, a place, a phone number, an e-mail
address, a sum of money, a frequency): the answer types a question may ask for."""

from __future__ import annotations

import re

NUMBER_WORDS = frozenset(
    {
        "un", "une", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix",
        "one", "two", "three", "four", "five", "seven", "eight", "nine", "ten",
    }
)


# What a count can be written as, digits aside ("une vingtaine de pays", "thousands").
COUNT_WORDS = re.compile(
    r"\b(deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|vingt|trente|cent|mille"
    r"|dizaines?|douzaines?|quinzaines?|vingtaines?|trentaines?|cinquantaines?|centaines?"
    r"|milliers?|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|hundreds?"
    r"|thousands?|dozens?)\b",
    re.IGNORECASE,
)


YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


NUMBER = re.compile(r"\d")


WEB = re.compile(r"(www\.|https?:|\.be\b|\.org\b|\.com\b|\.eu\b)")


ADDRESS = re.compile(r"\b(rue|chaussée|chaussee|avenue|place|boulevard|quai|\d{4})\b", re.I)


# Where an organisation is: a street address, or "à Liège" / "in Brussels" / "based in".
PLACE = re.compile(r"(?i:\b(?:rue|chaussée|chaussee|avenue|place|boulevard|quai)\b)"
                   r"|\b\d{4}\s+[A-ZÀ-Ý]"  # a postcode and its town
                   r"|\b(?:à|a|in|en|au|at|near|près de|pres de)\s+(?:la |le |l'|the )?"
                   r"[A-ZÀ-Ý][\w'’-]+")


# Kinds of answer that only a sentence of that kind can give: a phone number, an e-mail
# address, a sum of money, a frequency. With none in the passages the engine abstains
# ("What's WSM's phone number?" was answered with its website).
PHONE = re.compile(r"(?:\+\d{2}|\b0\d{1,3})[\s./-]?\d{2,3}(?:[\s./-]?\d{2}){2,3}\b")


EMAIL = re.compile(r"[\w.-]+@[\w-]+\.\w+")


AMOUNT = re.compile(r"(?:€|\$|£|\beur\b|\beuros?\b|\bdollars?\b|\bfrancs?\b)", re.IGNORECASE)


FREQUENCY = re.compile(
    r"\b(?:(?:bi|tri|se)?(?:mensuel|mestriel|annuel|hebdomadaire|quotidien)\w*"
    r"|trimestriel\w*|semestriel\w*|chaque (?:annee|année|an|mois|semaine|jour)"
    r"|tous les (?:\w+ )?(?:ans|mois|jours|semaines)|(?:une|deux|trois|quatre) fois par"
    r"|par (?:an|mois|semaine|jour)|(?:bi|tri)?(?:monthly|weekly|annual|annually|yearly"
    r"|daily|quarterly)|every (?:\w+ )?(?:years?|months?|weeks?|days?)"
    r"|each (?:year|month|week|day)|(?:once|twice|\w+ times) a|per (?:year|month|week|day))\b",
    re.IGNORECASE,
)


TYPE_PATTERNS = {"number": NUMBER, "year": YEAR, "web": WEB, "address": ADDRESS,
                 "phone": PHONE, "email": EMAIL, "amount": AMOUNT, "frequency": FREQUENCY}


REQUIRED_KINDS = ("phone", "email", "amount", "frequency")


# A more precise kind replaces the general one its words also contain: "adresse e-mail"
# is no street address, "how much money" and "tous les combien" are no count.
NARROWER_KINDS = {"email": "address", "amount": "number", "frequency": "number",
                  "phone": "number"}
