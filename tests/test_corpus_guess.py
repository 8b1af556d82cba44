"""What the corpus stage guesses of a document without a manifest entry
(assistant/ingestion/corpus.py): its title and the organisation it is about."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.ingestion.corpus import describe, guess_organisation, guess_title

PATH = Path("corpus/page.md")


@pytest.mark.parametrize(("text", "title"), [
    ("fbpx\n1975\nLe Mouvement ouvrier chrétien\nLe MOC rassemble cinq organisations.",
     "Le Mouvement ouvrier chrétien"),
    ("# Vie Féminine\n\nUn mouvement féministe.", "Vie Féminine"),  # heading marks dropped
    ("\n\n   \nNos formations 2024\nTexte.", "Nos formations 2024"),
    ("Le CIEP forme des adultes depuis 1974.\nÉducation permanente\nSuite.",
     "Éducation permanente"),  # a sentence is no title
    ("fbpx\n1975", "fbpx"),  # nothing reads as a title: the first line
])
def test_guess_title_skips_junk_first_lines(text: str, title: str) -> None:
    assert guess_title(text, PATH) == title


def test_guess_title_of_an_empty_text_is_the_file_name() -> None:
    assert guess_title("", PATH) == "page"
    assert guess_title("  \n#\n", PATH) == "page"


def test_guess_title_reads_only_the_first_lines() -> None:
    junk = "\n".join(["2019"] * 10)
    assert guess_title(f"{junk}\nUn vrai titre", PATH) == "2019"
    long_line = "Titre " * 40
    assert guess_title(long_line, PATH) == long_line.strip()[:120]


@pytest.mark.parametrize(("text", "organisation"), [
    ("Le CIEP forme. Le MOC aussi. Le CIEP encore. Le MOC toujours.", "CIEP"),  # tie: first
    ("Le CIEP forme. Le MOC aussi. Le MOC toujours. Le MOC encore. Le CIEP fin.", "MOC"),
    ("Vie Féminine agit. Vie Féminine lutte. Namur accueille. Namur encore. Namur.",
     "Vie Féminine"),  # a lone capitalised word is no organisation
    ("Le CIEP forme. Le MOC aussi.", ""),  # each written once
    ("un texte sans aucun nom propre.", ""),
])
def test_guess_organisation_picks_the_most_written_name(text: str, organisation: str) -> None:
    assert guess_organisation(text) == organisation


def test_a_manifest_entry_wins_over_the_guesses(tmp_path: Path) -> None:
    path = tmp_path / "page.md"
    text = "fbpx\nLe Mouvement ouvrier chrétien\nLe CIEP forme. Le CIEP encore."
    guessed = describe(path, tmp_path, text, {})
    assert (guessed.title, guessed.organisation) == ("Le Mouvement ouvrier chrétien", "CIEP")
    entry = {"page.md": {"file": "page.md", "title": "Page du MOC", "organisation": "MOC"}}
    given = describe(path, tmp_path, text, entry)
    assert (given.title, given.organisation) == ("Page du MOC", "MOC")


@pytest.mark.parametrize(("file_name", "text", "organisation"), [
    # A single ordinary word and a name with a lowercase word: only the file name finds them.
    ("caritas-international-who-are-we.txt",
     "Caritas helps refugees. Caritas runs reception centres in Belgium.", "Caritas"),
    ("secours-populaire-histoire.txt",
     "Créé en 1945, le Secours populaire aide. Le Secours populaire regroupe 99 fédérations.",
     "Secours populaire"),
    ("peuple-et-culture-80-ans.txt",
     "Peuple & Culture fête ses 80 ans. Peuple & Culture est né dans le Vercors.",
     "Peuple & Culture"),
    # The text's most written name is a person: the file's organisation, written as
    # often, wins.
    ("atd-fourth-world-history.txt",
     "Joseph Wresinski founded it. ATD Fourth World grew. Joseph Wresinski spoke. "
     "ATD Fourth World works with families. Joseph Wresinski died. ATD Fourth World goes on.",
     "ATD Fourth World"),
    # The most written name is one of the file's words: it stands.
    ("tuc-education-centre-trade-union-courses.txt",
     "The TUC offers courses. Trade Union reps learn. TUC courses are free. Trade Union law.",
     "TUC"),
    # The run written most, by its words other than stop words, not the longest.
    ("medecins-du-monde-rapport-2010.txt",
     "MÉDECINS DU MONDE RAPPORT\nMÉDECINS DU MONDE RAPPORT\nMédecins du Monde soigne. "
     "Médecins du Monde agit. Médecins du Monde témoigne. Médecins du Monde forme.",
     "Médecins du Monde"),
    # Stop words the file name dropped may stand between its words.
    ("ligue-droits-humains-histoire.txt",
     "La Ligue des droits humains naît en 1901. La Ligue des droits humains défend.",
     "Ligue des droits humains"),
    # A run of the file name written less often than the text's most written name loses.
    ("rapport-annuel-2018.pdf", "Rapport annuel\nRapport annuel de la CSC. La CSC agit. "
     "La CSC forme. La CSC défend.", "CSC"),
    # Written once, or never capitalised: not a name; the text's own guess stands.
    ("quinoa-a-propos.txt", "Quinoa a 30 ans. Le MOC aide. Le MOC forme.", "MOC"),
    ("histoire-du-logement.txt", "l'histoire du logement. Le logement social.", ""),
    # A word of the file name the text writes as an acronym, once, when nothing is written
    # twice: the page spells the name out once and then says "we".
    ("eza-who-we-are.txt", "We are the European Centre for Workers' Questions (EZA). We act.",
     "EZA"),
    # ... not when written in lowercase, nor over a name written twice.
    ("eza-who-we-are.txt", "We are a centre. Eza is a town.", ""),
    ("eza-annual-report.txt", "The EZA report. The ETUC acts. The ETUC trains.", "ETUC"),
])
def test_guess_organisation_reads_the_file_name(file_name: str, text: str,
                                                organisation: str) -> None:
    assert guess_organisation(text, Path("corpus") / file_name) == organisation
