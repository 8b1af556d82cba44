"""Unit tests of the chunker: units, synthetic structures, then the real scrapes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from assistant.core.types import Chunk
from assistant.ingestion.chunking.document import chunk_document
from assistant.ingestion.chunking.packing import OVERRUN_TOLERANCE
from assistant.ingestion.chunking.preview import preview
from assistant.ingestion.chunking.units import MAX_UNIT_CHARS, split_units
from assistant.ingestion.cleaning.document import clean_text

SHARED_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
CORPUS_FILES = sorted(SHARED_CORPUS.glob("*.txt")) if SHARED_CORPUS.is_dir() else []


def chunks_of(text: str, **options: int) -> list[Chunk]:
    return chunk_document(text, doc_id="doc", title="Titre", **options)


def assert_well_formed(chunks: list[Chunk], max_chars: int = 1200) -> None:
    assert [chunk.index for chunk in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert chunk.kind in {"entry", "list", "section", "window"}
        assert chunk.text.strip() and len(chunk.text) <= max_chars * OVERRUN_TOLERANCE
        assert chunk.units, chunk.text
        for unit in chunk.units:
            assert unit.strip() and unit in chunk.text
            assert len(unit) <= MAX_UNIT_CHARS
        context = chunk.context_text()
        assert [context[a:b] for a, b in chunk.unit_spans()] == list(chunk.units)


# --------------------------------------------------------------------------- units


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The F.T.U. ASBL aims to provide a link. The FTU provides services.",
            ["The F.T.U. ASBL aims to provide a link.", "The FTU provides services."],
        ),
        (
            "Le Consortium (C.D.V.C.) et les S.P.E. Produisent des profils.",
            ["Le Consortium (C.D.V.C.) et les S.P.E. Produisent des profils."],
        ),
        (
            "Il rejoint le CNCD-11.11.11, e.g. des ONG, etc. Ses partenaires sont nombreux.",
            ["Il rejoint le CNCD-11.11.11, e.g. des ONG, etc.", "Ses partenaires sont nombreux."],
        ),
        (
            "Plus de 46.000 signataires. En 2011-2014, un plan. 1974: l'ACW/MOC crée le service.",
            [
                "Plus de 46.000 signataires.",
                "En 2011-2014, un plan.",
                "1974: l'ACW/MOC crée le service.",
            ],
        ),
        (
            "reconnue comme ONG en 1976. En 2006, toutes les activités.",
            ["reconnue comme ONG en 1976.", "En 2006, toutes les activités."],
        ),
        (
            "the digital divide. through its work, it helps. J. Dupont voit p. 12 du rapport.",
            [
                "the digital divide.",
                "through its work, it helps.",
                "J. Dupont voit p. 12 du rapport.",
            ],
        ),
        (
            "Nous avons un pouvoir… Ne le sous-estimons pas ! »",
            ["Nous avons un pouvoir…", "Ne le sous-estimons pas ! »"],
        ),
        (
            "Les citoyen.ne.s et tou.te.s.: la campagne avance. Nos stratégies? Agir.",
            ["Les citoyen.ne.s et tou.te.s.: la campagne avance.", "Nos stratégies?", "Agir."],
        ),
    ],
)
def test_sentence_units(text: str, expected: list[str]) -> None:
    assert split_units(text) == expected


def test_inline_numbered_list_gives_one_unit_per_number() -> None:
    text = (
        "Nos stratégies pour y parvenir? Nous agissons : 1. En coopérant avec des mouvements "
        "2. En les renforçant 3. En exigeant des décideurs. 4. En construisant un engagement!"
    )
    assert split_units(text) == [
        "Nos stratégies pour y parvenir?",
        "Nous agissons :",
        "1. En coopérant avec des mouvements",
        "2. En les renforçant",
        "3. En exigeant des décideurs.",
        "4. En construisant un engagement!",
    ]


def test_lines_are_boundaries_and_bullets_are_left_out() -> None:
    text = "Cela se concrétise par :\n• un travail politique\n- des formations,\n1. organiser ;"
    assert split_units(text) == [
        "Cela se concrétise par :",
        "un travail politique",
        "des formations,",
        "1. organiser ;",
    ]


def test_long_sentence_is_cut_at_clause_boundaries() -> None:
    parts = ", ".join(f"un partenaire numéro {n} de longue description" for n in range(20))
    text = f"Organisations partenaires {parts}; et enfin, la fin."
    units = split_units(text)
    assert len(units) > 2 and all(len(unit) <= MAX_UNIT_CHARS for unit in units)
    assert units[-1] == "et enfin, la fin."
    assert " ".join(units) == text


def test_units_are_never_empty() -> None:
    assert split_units("") == []
    assert split_units("\n\n• \n « » \n") == []
    assert split_units("Fin. »\nSuite") == ["Fin. »", "Suite"]


# --------------------------------------------------------------------------- data model


def test_chunk_is_frozen_and_gives_its_context() -> None:
    chunk = Chunk("d", 0, "Doc", "Historique", "section", "Texte.", ("Texte.",))
    assert chunk.context_text() == "Doc — Historique\nTexte."
    assert dataclasses.replace(chunk, section="").context_text() == "Doc\nTexte."
    assert dataclasses.replace(chunk, section="doc").context_text() == "Doc\nTexte."
    with pytest.raises(dataclasses.FrozenInstanceError):
        chunk.text = "autre"  # type: ignore[misc]


def test_unit_spans_point_into_the_embedded_text_in_order() -> None:
    # Ingestion pools each unit's vector from these offsets of the chunk's embedded text;
    # a repeated sentence must map to its own occurrence, not the first one.
    chunk = Chunk("d", 0, "Agir.", "Historique", "section", "Agir. Agir. Fin.",
                  ("Agir.", "Agir.", "Fin."))
    context = chunk.context_text()
    spans = chunk.unit_spans()
    assert [context[a:b] for a, b in spans] == ["Agir.", "Agir.", "Fin."]
    assert spans[0][0] == len("Agir. — Historique\n")
    assert spans[0] != spans[1]


def test_unit_spans_of_the_project_corpus() -> None:
    corpus = Path(__file__).resolve().parents[1] / "corpus"
    for path in sorted(corpus.glob("*.txt")):
        chunks = chunk_document(clean_text(path.read_text(encoding="utf-8")),
                                doc_id=path.stem, title=path.stem)
        assert chunks, path.name
        assert_well_formed(chunks)


def test_empty_document_has_no_chunks() -> None:
    assert chunks_of("") == [] and chunks_of("\n\n  \n") == []


# --------------------------------------------------------------------------- structures


def test_heading_labels_its_prose() -> None:
    text = "Historique\n\n1974: le service est créé. En 1976, il est reconnu.\n\nMISSIONS :\nAgir."
    chunks = chunks_of(text)
    assert [(c.section, c.kind, c.text) for c in chunks] == [
        ("Historique", "section", "1974: le service est créé. En 1976, il est reconnu."),
        ("MISSIONS", "section", "Agir."),
    ]
    assert chunks[0].units == ("1974: le service est créé.", "En 1976, il est reconnu.")


def test_markdown_heading_marker_is_a_heading() -> None:
    chunks = chunks_of("# Titre\nUn paragraphe sous le titre.\n## Autre : partie\nEncore.")
    assert [(c.section, c.text) for c in chunks] == [
        ("Titre", "Un paragraphe sous le titre."),
        ("Autre : partie", "Encore."),
    ]


def test_wiki_heading_marks_are_headings() -> None:
    chunks = chunks_of("= Church Action =\nA charity.\n\n==History==\nIt was formed in 1982.")
    assert [(c.section, c.text) for c in chunks] == [
        ("Church Action", "A charity."),
        ("History", "It was formed in 1982."),
    ]


def test_an_faq_question_heads_its_answer() -> None:
    """An FAQ's question titles the answer under it: quoted, the question answers nothing."""
    text = ("Quels sont les axes des cours ?\nLes cours portent sur le droit du travail.\n\n"
            "Et la suite ?\nRien n'est prévu.")
    chunks = chunks_of(text)
    assert [(c.section, c.text) for c in chunks] == [
        ("Quels sont les axes des cours ?", "Les cours portent sur le droit du travail."),
        ("Et la suite ?", "Rien n'est prévu."),
    ]


@pytest.mark.parametrize("text", [
    "Pourquoi adhérer ?\n- pour être défendu\n- pour être informé",  # a list's lead-in
    "Qui sommes-nous ?\nQue faisons-nous ?",  # questions one after the other
    "Mais que faire, quand tant de familles et de jeunes, partout dans le pays, n'ont plus ni "
    "logement ni revenu ni aucune aide publique ?\nLa Ligue agit.",  # a long question
])
def test_other_questions_are_no_headings(text: str) -> None:
    assert all(c.section == "" for c in chunks_of(text))


def test_last_short_line_is_not_a_heading() -> None:
    chunks = chunks_of("Texte complet ici.\nWallonia government")
    assert chunks[0].section == "" and "Wallonia government" in chunks[-1].text


def test_key_figure_goes_with_its_label_and_a_year_still_titles() -> None:
    """An annual report's key figures ("89" over "projets menés dans") are quotable
    sentences; a year over a capitalised sentence stays the heading of a timeline."""
    text = ("Au niveau international :\n\n100.000\n\nplus de personnes aidées\n\n89\n\n"
            "à travers projets menés dans\n\n17 pays\n\n1964\n\nCréation du service.")
    chunks = chunks_of(text)
    units = [u for c in chunks for u in c.units]
    assert "100.000 plus de personnes aidées" in units
    assert "89 à travers projets menés dans" in units
    assert chunks[-1].section == "1964" and chunks[-1].units == ("Création du service.",)


def test_list_keeps_its_lead_in() -> None:
    text = "MISSIONS\n\nNous agissons. Cela se concrétise par :\n\n• un travail\n• des formations\n"
    (chunk,) = chunks_of(text)
    assert chunk.kind == "list" and chunk.section == "MISSIONS"
    assert chunk.text == "Nous agissons. Cela se concrétise par :\n• un travail\n• des formations"
    assert chunk.units[-2:] == ("un travail", "des formations")


def test_long_list_is_split_and_each_part_repeats_the_lead_in() -> None:
    items = "\n".join(f"• élément numéro {n} avec une description assez longue" for n in range(30))
    chunks = chunks_of(f"Cela se concrétise par :\n{items}", max_chars=600)
    assert len(chunks) > 1
    assert_well_formed(chunks, max_chars=600)
    assert all(c.kind == "list" and c.text.startswith("Cela se concrétise par :\n") for c in chunks)
    listed = [line for c in chunks for line in c.text.split("\n")[1:]]
    assert listed == items.split("\n")


def test_long_lead_in_paragraph_gives_only_its_last_sentence_to_the_list() -> None:
    intro = " ".join(f"Phrase d'introduction numéro {n} assez longue." for n in range(12))
    chunks = chunks_of(f"{intro} Voici la liste :\n• un\n• deux")
    assert chunks[-1].text == "Voici la liste :\n• un\n• deux"
    assert chunks[0].kind == "section" and chunks[0].text == intro


def test_entry_heading_labels_only_its_own_item() -> None:
    text = (
        "Nos partenaires sont, notamment:\n"
        "Appel pour une école démocratique\n"
        "L’Appel pour une école démocratique (Aped) est un mouvement de réflexion.\n"
        "La Coalition Climat est une asbl nationale qui réunit des organisations.\n"
    )
    chunks = chunks_of(text)
    assert [(c.kind, c.section) for c in chunks] == [
        ("section", ""),
        ("entry", "Appel pour une école démocratique"),
        ("entry", ""),
    ]


def test_topic_heading_labels_all_its_entries() -> None:
    text = (
        "Public authorities\n\n"
        "Here, you will find specific links on the pages of public authorities.\n\n"
        "Actiris, the Brussels regional office for employment is a public body.\n\n"
        "Bruxelles Formation: Public body charged with vocational training in Brussels.\n\n"
        "CCFEE, the Consultative Commission in matters of Training and Education.\n\n"
        "Thésée - Methodological guide and Vade Mecum of pathways."
    )
    chunks = chunks_of(text)
    assert [c.kind for c in chunks] == ["section", "entry", "entry", "entry", "entry"]
    assert {c.section for c in chunks} == {"Public authorities"}


def test_entry_keeps_the_paragraphs_that_go_on_about_it() -> None:
    text = (
        "Réseaux\n\nLa Coalition Climat est une asbl nationale.\nElle mobilise un large public.\n"
        "Le Groupe de recherche travaille sur l’économie.\nUn autre paragraphe ici."
    )
    chunks = chunks_of(text)
    assert [(c.kind, c.text) for c in chunks] == [
        ("entry", "La Coalition Climat est une asbl nationale.\nElle mobilise un large public."),
        ("entry", "Le Groupe de recherche travaille sur l’économie."),
        ("section", "Un autre paragraphe ici."),
    ]


def test_prose_paragraphs_are_packed_and_split_only_between_sentences() -> None:
    paragraphs = [
        " ".join(f"Phrase {p}.{n} du paragraphe numéro {p} de la section." for n in range(6))
        for p in range(5)
    ]
    text = "Section longue\n\n" + "\n\n".join(paragraphs)
    chunks = chunks_of(text, max_chars=700)
    assert len(chunks) > 1 and {c.kind for c in chunks} == {"section"}
    assert_well_formed(chunks, max_chars=700)
    sentences = [unit for c in chunks for unit in c.units]
    assert sentences == [unit for p in paragraphs for unit in split_units(p)]


def test_pull_quote_stays_with_the_paragraph_it_introduces() -> None:
    first = " ".join(f"Phrase {n} du premier paragraphe assez longue." for n in range(12))
    text = f"{first}\n« Une citation mise en avant »\nLe paragraphe qui suit la citation."
    chunks = chunks_of(text, max_chars=600)
    assert chunks[-1].text.startswith("« Une citation mise en avant »\nLe paragraphe")


def test_text_without_structure_gets_overlapping_windows() -> None:
    text = " ".join(f"Phrase numéro {n} du texte sans structure." for n in range(30))
    chunks = chunks_of(text, max_chars=300, window_sentences=5)
    assert len(chunks) > 1 and {c.kind for c in chunks} == {"window"}
    assert_well_formed(chunks, max_chars=300)
    assert all(len(c.units) <= 5 for c in chunks)
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert before.units[-1] == after.units[0]  # one sentence of overlap
    assert chunks[-1].units[-1] == "Phrase numéro 29 du texte sans structure."


def test_short_text_without_structure_is_one_section() -> None:
    (chunk,) = chunks_of("Une phrase. Une autre phrase.")
    assert chunk.kind == "section" and chunk.units == ("Une phrase.", "Une autre phrase.")


def test_preview_prints_every_chunk(tmp_path: Path) -> None:
    source = tmp_path / "doc.txt"
    source.write_text("Historique\n\n1974: création.\nLogo XYZ\n", encoding="utf-8")
    shown = preview(source)
    assert "section | section: Historique | 1 units" in shown and "1974: création." in shown


# --------------------------------------------------------------------------- real corpus

needs_corpus = pytest.mark.skipif(not CORPUS_FILES, reason="shared corpus not available")


def real_chunks(name_prefix: str) -> list[Chunk]:
    path = next(p for p in CORPUS_FILES if p.name.startswith(name_prefix))
    text = clean_text(path.read_text(encoding="utf-8"))
    return chunk_document(text, doc_id=path.stem, title=path.stem)


def chunk_containing(chunks: list[Chunk], fragment: str) -> list[Chunk]:
    return [chunk for chunk in chunks if fragment in chunk.text]


@needs_corpus
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name[:3])
def test_real_files_chunk_well(path: Path) -> None:
    chunks = real_chunks(path.name[:3])
    assert len(chunks) >= 5
    assert_well_formed(chunks)
    for chunk in chunks:
        assert "<" not in chunk.text and "\t" not in chunk.text
        assert "Néant" not in chunk.text and "Read more" not in chunk.text


@needs_corpus
def test_real_moc_file_every_organisation_stays_whole() -> None:
    chunks = real_chunks("000")
    text = clean_text(next(p for p in CORPUS_FILES if p.name.startswith("000")).read_text("utf-8"))
    starts = [
        "Coordination et initiatives pour réfugiés",
        "Le Réseau Financité",
        "L’Appel pour une école démocratique",
        "La Coalition Climat",
        "La coordination des sans papiers",
        "Mouvement d'Éducation permanente, Lire et Ecrire",
        "La Coordination Nationale d’Action pour la Paix",
        "Le Groupe de recherche pour une stratégie",
        "Avec la faculté Ouverte de Politique",
    ]
    for start in starts:
        paragraph = next(line for line in text.split("\n") if line.startswith(start))
        holders = chunk_containing(chunks, start)
        assert len(holders) == 1 and paragraph in holders[0].text, start
        assert holders[0].text.startswith(start), "one organisation per chunk"
    coalition = chunk_containing(chunks, "La Coalition Climat")[0]
    lire = chunk_containing(chunks, "Lire et Ecrire")[0]
    assert coalition.kind == lire.kind == "entry"
    assert coalition.section == lire.section == "", "no name inherited from another organisation"
    aped = chunk_containing(chunks, "L’Appel pour")[0]
    assert aped.section == "Appel pour une école démocratique"


@needs_corpus
def test_real_moc_file_cncd_missions_in_one_chunk() -> None:
    chunks = real_chunks("000")
    (cncd,) = chunk_containing(chunks, "1. organiser chaque année")
    assert cncd.kind == "list" and cncd.section.startswith("LE CNCD-11.11.11.")
    assert cncd.text.startswith("En vue de promouvoir un monde juste et durable")
    assert "2. coordonner des campagnes" in cncd.text and "3. interpeller" in cncd.text
    assert [unit[:2] for unit in cncd.units[1:]] == ["1.", "2.", "3."]


@needs_corpus
def test_real_wsm_sheet_history_and_mission() -> None:
    chunks = real_chunks("001")
    history = [c for c in chunks if c.section == "Historique"]
    assert history and all(c.kind == "section" for c in history)
    indexes = [c.index for c in history]
    assert indexes == list(range(indexes[0], indexes[0] + len(history)))
    assert history[0].text.startswith("1974: l'ACW/MOC crée le service Solidarité Mondiale.")
    assert history[0].units[0] == "1974: l'ACW/MOC crée le service Solidarité Mondiale."
    assert "Solidarité Mondiale est reconnue comme ONG en 1976." in history[0].units
    assert history[-1].text.endswith("WSM comme ONG & comme facilitateur de réseaux")
    (mission,) = [c for c in chunks if c.section == "Mission Générale"]
    numbered = [unit for unit in mission.units if unit[:1].isdigit()]
    assert [unit[:2] for unit in numbered] == ["1.", "2.", "3.", "4."]
    activities = [c for c in chunks if c.section == "Activités de l'Organisation"]
    assert [c.kind for c in activities] == ["entry", "list", "list", "list", "list"]
    assert activities[2].text.startswith("Information & Communication:\n• Revue Ici et Là-bas")


@needs_corpus
def test_real_vision_file_lists() -> None:
    chunks = real_chunks("002")
    (durable,) = chunk_containing(chunks, "• Durable")
    assert durable.kind == "list" and durable.section == "VISION"
    assert "• Inclusive" in durable.text and durable.text.startswith("Pour Solidarité Mondiale")
    (missions,) = chunk_containing(chunks, "Cela se concrétise par :")
    assert missions.kind == "list" and missions.section == "MISSIONS"
    assert len(missions.units) == 2 + 8  # two lead-in sentences, eight items


@needs_corpus
def test_real_aid_file_moc_organisations_list() -> None:
    chunks = real_chunks("004")
    (moc,) = chunk_containing(chunks, "• MOC, Christian Workers’ Movement")
    assert moc.kind == "list" and moc.section == "Permanent education and MOC organisations"
    assert moc.text.startswith("The AID network is rooted in")
    assert moc.units[2:] == (
        "MOC, Christian Workers’ Movement",
        "CSC, Confederation of Christian Trade Unions",
        "ANMC, National Alliance of Christian Mutuality Funds",
        "Equipes Populaires, a citizen movement to build equality",
        "Vie Féminine, a feminist movement for intercultural and social action",
        "JOC, Organized and Combative Youth",
        "CIEP, Christian Workers’ Movement’s Centre for Popular Information and Education",
    )


@needs_corpus
def test_real_aid_file_sections_and_entries() -> None:
    chunks = real_chunks("004")
    (advice,) = chunk_containing(chunks, "• SYNECO, Rue des Glaces")
    assert advice.kind == "list" and advice.section == "Advice services"
    (actiris,) = chunk_containing(chunks, "Actiris, the Brussels regional office")
    assert actiris.kind == "entry" and actiris.section == "Public semi-public authorities"
    (ftu,) = chunk_containing(chunks, "The F.T.U. ASBL")
    assert ftu.kind == "entry" and ftu.section == "Pedagogical resources"
    (guidance,) = chunk_containing(chunks, "• FormaPass")
    assert guidance.section == "Career guidance" and guidance.text.startswith("Here, you will")


def test_a_paragraph_barely_over_the_limit_stays_whole() -> None:
    sentence = "Cette phrase compte exactement quelques mots de plus. "
    paragraph = (sentence * 25).strip()  # about 1,350 characters
    text = f"Historique\n{paragraph}"
    whole = chunk_document(text, doc_id="d", title="T", max_chars=1300)
    split = chunk_document(text, doc_id="d", title="T", max_chars=1000)
    assert len(whole) == 1 and whole[0].text == paragraph
    assert len(split) >= 2 and all(len(c.text) <= 1000 for c in split)


# --------------------------------------------------------------------------- work (issue 19)
def lines_run(text: str) -> int:
    """Python lines the cleaner and chunker execute on ``text``: work, not time, so the
    measure is the same on any machine and under any load."""
    import sys
    from types import FrameType

    watched = ("assistant/ingestion/", "assistant/core/")
    count = 0

    def local(frame: FrameType, event: str, arg: object) -> object:
        nonlocal count
        if event == "line":
            count += 1
        return local

    def tracer(frame: FrameType, event: str, arg: object) -> object:
        name = frame.f_code.co_filename.replace("\\", "/")
        return local if any(w in name for w in watched) else None

    sys.settrace(tracer)
    try:
        chunk_document(clean_text(text, "txt"), doc_id="doc", title="Titre")
    finally:
        sys.settrace(None)
    return count


NO_BREAKS = {  # one line each, no sentence end anywhere
    "words": lambda n: ("solidarité mondiale travail réseau " * (n // 35 + 1))[:n],
    "no spaces": lambda n: "x" * n,
    "commas": lambda n: ("mot, " * (n // 5 + 1))[:n],
    "dotted": lambda n: ("a." * (n // 2 + 1))[:n],
    "numbers": lambda n: " ".join(f"{i % 9 + 1}. mot" for i in range(n // 7)),
}


@pytest.mark.parametrize("shape", sorted(NO_BREAKS))
def test_chunking_text_without_sentence_breaks_is_linear(shape: str) -> None:
    """Quadrupling a text without sentence breaks quadruples the work (a quadratic chunker
    made 16 times more: a 2 MB line took 31 s, a 10 MB one never ended); a line without any
    separator went past Python's recursion limit."""
    make = NO_BREAKS[shape]
    small, large = lines_run(make(20_000)), lines_run(make(80_000))
    assert large < 4 * small * 1.25, (shape, small, large)
    chunks = chunks_of(clean_text(make(80_000), "txt"))
    assert_well_formed(chunks)


def test_a_long_line_without_any_separator_is_cut_not_a_recursion_error() -> None:
    chunks = chunks_of("x" * 1_000_000)
    assert len(chunks) > 1000 and all(0 < len(c.text) <= 1200 for c in chunks)


@pytest.mark.slow
def test_a_ten_megabyte_one_line_file_is_chunked() -> None:
    text = ("solidarité mondiale, travail; réseau " * 270_000)[:9_999_000]
    chunks = chunks_of(clean_text(text, "txt"))
    assert len(chunks) > 8000 and all(len(c.text) <= 1200 for c in chunks)
