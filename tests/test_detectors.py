"""Answer-type detectors (assistant/answering/detectors.py): what a sentence holds. Phone
numbers of several countries, places, post codes, dates, counts in digits and words, e-mail
and web addresses, sums of money, frequencies."""

from __future__ import annotations

import pytest

from assistant.answering.detectors import (
    COUNT,
    DATE,
    DURATION,
    EMAIL,
    FREQUENCY,
    PERSON,
    PHONE,
    PLACE,
    STREET,
    TYPE_PATTERNS,
    WEB,
    Detector,
    classes_counted,
    detector_words,
    not_places,
)
from assistant.answering.kinds import kinds


def found(detector: Detector, text: str) -> bool:
    return detector.search(text) is not None


# ----------------------------------------------------------------------------- phone numbers


@pytest.mark.parametrize("text", [
    "Tel: +44 1743 342000",  # British, written internationally
    "Tél. : 02 246 38 81",  # Belgian, written nationally
    "Téléphone : +32 2 246 38 11",
    "Call us on +32 (0)2 246 38 11.",
    "Standard : 01 45 67 89 10",  # French
])
def test_phone_numbers_of_several_countries_are_found(text: str) -> None:
    assert found(PHONE, text), text


@pytest.mark.parametrize("text", [
    "Adresse principale : Chaussée de Haecht 579 1030 Schaerbeek",  # street number + post code
    "Rue de la Loi 16, 1000 Bruxelles",
    "London Road, Shrewsbury SY2 6PR",
    "Le MOC a été fondé en 1921 et compte 250 000 membres.",
    "En 2006, les activités sont rassemblées.",
    "Tél. : 246",  # too short
])
def test_street_numbers_post_codes_and_years_are_no_phone(text: str) -> None:
    assert not found(PHONE, text), text


# ----------------------------------------------------------------------------- places


@pytest.mark.parametrize("text", [
    "Elle se situe à Namur.",
    "Le CIEP est basé à Bruxelles.",
    "London Road, Shrewsbury SY2 6PR",
    "1030 Schaerbeek",
    "Adresse principale : Chaussée de Haecht 579 1030 Schaerbeek",
    "The office is in Shrewsbury.",
    "F-75001 Paris",
])
def test_places_are_found(text: str) -> None:
    assert found(PLACE, text), text


@pytest.mark.parametrize("text", [
    "In June 2010, the project started.",  # a month, not a place
    "En juin, le groupe part.",
    "The course is given in English.",  # a language
    "Il est actif en communauté française depuis 1966.",  # a year is no post code
    "La CSC est le syndicat chrétien.",
])
def test_months_languages_and_years_are_no_place(text: str) -> None:
    assert not found(PLACE, text), text


def test_a_street_is_a_street_word_with_a_number_or_a_post_code() -> None:
    assert found(STREET, "Chaussée de Haecht 579")
    assert found(STREET, "1030 Schaerbeek")
    assert found(STREET, "London Road, Shrewsbury SY2 6PR")
    assert not found(STREET, "Elle se situe à Namur.")  # a town, no street
    assert not found(STREET, "La rue est un lieu de lutte.")  # a street word, no number
    assert found(STREET, "• SYNECO, Rue des Glaces Nationales 169, 5060 Sambreville")
    assert found(STREET, "F-75001 Paris")
    # a year before a capitalised word is no post code
    assert not found(STREET, "Émission du 26/08/2020 Reprise ce mercredi")
    assert not found(STREET, "En 1974 Solidarité Mondiale devient une ONG.")


def test_the_place_detector_reads_its_word_lists() -> None:
    assert {"june", "juin", "english"} <= not_places()  # the calendar's words and its own
    assert {"BE", "GB"} <= detector_words("phone_regions")


# ----------------------------------------------------------------------------- dates


@pytest.mark.parametrize("text", [
    "Le MOC a été fondé en 1921.",
    "Le 15 mars, la réunion a lieu.",
    "En juin, le groupe part.",
    "The meeting is on 3 October.",
    "In June 2010, the project started.",
    "Le congrès a eu lieu le 15/05/2019.",
    "La réunion du 2016-10-03 est reportée.",
    "En février, en août et en décembre.",
])
def test_dates_with_years_month_names_and_digits_are_found(text: str) -> None:
    assert found(DATE, text), text


@pytest.mark.parametrize("text", [
    "La CSC est le syndicat chrétien.",
    "Il coordonne 90 ONG belges.",  # a number, no year
    "La maison est ouverte le matin.",
])
def test_text_without_a_date_holds_none(text: str) -> None:
    assert not found(DATE, text), text


# ----------------------------------------------------------------------------- counts


@pytest.mark.parametrize("text", [
    "Il coordonne 90 ONG belges.",
    "Le MOC compte un millier de volontaires.",
    "Thousands of people marched.",
    "Des centaines de comités locaux.",
    "Une vingtaine de pays.",
    "The network has twelve members.",
    "Le Mouvement ouvrier chrétien rassemble cinq organisations.",
    "En 2019, le réseau comptait 23 associations.",  # a count beside a year
    "À cette époque, l'Union comptait 47.000 membres.",
    "Charity number 1079986 employs 45 people.",  # an identifier beside a count
    "Un stage de 10 semaines pour 300 participants.",  # a length of time beside a count
])
def test_counts_in_digits_and_words_are_found(text: str) -> None:
    assert found(COUNT, text), text


@pytest.mark.parametrize("text", [
    "La CSC est le syndicat chrétien.",
    "The network supports its members.",
    "Créé en 1945, le Secours populaire est l'héritier de mouvements populaires.",
    "Le 3 octobre 2016, WSM reçoit l'accréditation.",
    "On the 1st of May 2010 the network met in Brussels.",
    # numbers that identify, not count: a charity or company number, a phone number
    "It was formed in 1982 and is charity number 1079986.",
    "N° d'entreprise : 0445.741.823",
    "Téléphone : +32 2 893 08 70",
    "Tél. 02 223 05 12 - Fax. 02 223 15 12",
    # lengths of time and ages: "Combien de membres ?" is not answered by them
    "Alors que Peuple & Culture fête ses 80 ans, son conseil travaille.",
    "Un mouvement de jeunes âgés de 15 à 30 ans.",
    "The charity has more than thirty years' experience.",
])
def test_text_without_a_count_holds_none(text: str) -> None:
    assert not found(COUNT, text), text


@pytest.mark.parametrize(("text", "classes"), [
    ("Il est composé de 23 associations membres et de six thématiques.", {"organisations"}),
    ("Le Secours populaire regroupe 99 fédérations et 656 comités.", {"organisations"}),
    ("L'équipe compte 12 personnes employées et 120 volontaires.", {"people"}),
    ("Caritas Europa has 49 member organisations in 46 countries.",
     {"organisations", "countries"}),
    ("Alors que Peuple & Culture fête ses 80 ans.", set()),  # a length of time counts nothing
    ("Le réseau travaille sur six thématiques.", set()),  # what has no class
])
def test_the_classes_a_text_counts(text: str, classes: set[str]) -> None:
    assert classes_counted(text) == classes


# ----------------------------------------------------------------------------- persons
@pytest.mark.parametrize("text", [
    "The current director is Niall Cooper.",
    "En mai 2006, Benoît Van der Meerschen devient Président de la Ligue.",
    "Chief Executive and Secretary Dave Garratt",
    "L'initiateur de ce regroupement est Arthur Jauniaux.",
    "Mme Durand préside le conseil.",
    "Jean-Marc Le Roy a été élu.",
])
def test_a_persons_name_is_found(text: str) -> None:
    assert found(PERSON, text), text


@pytest.mark.parametrize("text", [
    "Le Mouvement Ouvrier Chrétien rassemble cinq organisations.",  # kinds of organisation
    "In January 2010, the board met in Brussels.",  # a month, a lone place
    "La Commission agit depuis 1967 avec la CSC et la FGTB.",  # acronyms are no persons
    "Elle a été fondée en 1962.",
])
def test_text_without_a_persons_name_holds_none(text: str) -> None:
    assert not found(PERSON, text), text


# ----------------------------------------------------------------------------- durations


@pytest.mark.parametrize("text", [
    "une immersion d’un mois en été",
    "This 10-week course is aimed at new union representatives.",
    "he will stay for two years",
    "Cours de 20h par semaine.",
    "5 demi-journées de 4 heures",
    "The online course runs for 7 weeks.",
    "le plan d'action pour la période 2011-2014",  # a span of years
    "President from 1990 to 1992",
])
def test_durations_in_digits_and_words_are_found(text: str) -> None:
    assert found(DURATION, text), text


@pytest.mark.parametrize("text", [
    "L'association a été créée en 1964.",
    "Il coordonne 90 ONG belges.",
    "Le 14 janvier 1965, l’ASBL est officiellement constituée.",
])
def test_years_dates_and_counts_are_no_duration(text: str) -> None:
    assert not found(DURATION, text), text


# ----------------------------------------------------------------------------- e-mail, web


@pytest.mark.parametrize(("text", "email", "web"), [
    ("Contact : info@wsm.be", True, True),  # an e-mail address holds a domain
    ("Courriel : prenom.nom+formations@ciep.be", True, True),
    ("Voir www.wsm.be pour plus.", False, True),
    ("https://www.cncd.be/page", False, True),
    ("Le site est wsm.be.", False, True),
    ("Site : http://example.org/a?b=c", False, True),
    ("La CSC est le syndicat chrétien.", False, False),
    ("Écrivez-nous à l'adresse du secrétariat.", False, False),
])
def test_email_and_web_addresses(text: str, email: bool, web: bool) -> None:
    assert found(EMAIL, text) is email
    assert found(WEB, text) is web


# ----------------------------------------------------------------------------- money, frequency


@pytest.mark.parametrize(("text", "amount"), [
    ("Le budget est de 2 millions d'euros.", True),
    ("It costs £20.", True),
    ("La cotisation est de 15 €.", True),
    ("The fee is 30 dollars.", True),
    ("Il coordonne 90 ONG belges.", False),
])
def test_sums_of_money(text: str, amount: bool) -> None:
    assert found(TYPE_PATTERNS["amount"], text) is amount


@pytest.mark.parametrize(("text", "frequency"), [
    ("La revue est trimestrielle.", True),
    ("Le conseil se réunit deux fois par an.", True),
    ("The board meets twice a year.", True),
    ("The newsletter is published monthly.", True),
    ("L'assemblée se tient chaque année en juin.", True),
    ("Le conseil se réunit à Bruxelles.", False),
])
def test_frequencies(text: str, frequency: bool) -> None:
    assert found(FREQUENCY, text) is frequency


# ----------------------------------------------------------------------------- the table


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_answer_type_of_a_kind_has_a_detector(language: str) -> None:
    for kind in kinds(language):
        if kind.type:
            assert kind.type in TYPE_PATTERNS, kind
    for name in ("date", "count", "place", "phone", "email", "web", "amount", "frequency"):
        assert hasattr(TYPE_PATTERNS[name], "search")
    # The profile's older names of count and place read the same detectors.
    assert TYPE_PATTERNS["number"] is TYPE_PATTERNS["count"]
    assert TYPE_PATTERNS["address"] is TYPE_PATTERNS["place"]
