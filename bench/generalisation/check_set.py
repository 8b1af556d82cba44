"""Validate the generalisation set (tune/, frozen/ and any later tuneN/ batch).

usage: python3 bench/generalisation/check_set.py [--quiet]

Checks, for every line of tune/questions.jsonl and frozen/questions.jsonl:
- the line parses as JSON and has the required keys with the right types;
- ids are unique and prefixed gt (tune) / gf (frozen); kinds are known;
- follow-ups carry a history; unanswerable items have empty facts and evidence;
- the named doc(s) exist under the same half;
- every evidence snippet occurs in the named doc(s) (case/accent-folded the way
  the scorer folds them, see ../shared/eval/textnorm.py; mirrored below);
- the -crosslingual suffix is present exactly when the question's language differs
  from the language (SOURCES.md) of one of its docs;
- every fact group has at least one alternative that matches the doc text
  (folded; the regex is folded too, as score.py does);
- every doc file is listed in SOURCES.md and used by at least one question.
Prints per-half counts by kind and language. Exit status 1 on any failure.
"""

import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent
KINDS = {
    "factoid",
    "list",
    "who-theme",
    "summary",
    "multi-doc",
    "follow-up",
    "unanswerable",
    "definition",
    "how",
    "comparison",
    "yesno",
}
PERSONAS = {"staff", "volunteer", "trainer"}
REQUIRED = {
    "id": str,
    "q": str,
    "lang": str,
    "persona": str,
    "kind": str,
    "facts": list,
    "evidence": list,
    "doc": str,
}


def norm(s: str) -> str:
    """Fold like ../shared/eval/textnorm.py: NFKD, no accents, lower, quotes/dashes/spaces."""
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = (
        s.replace("\u2019", "'")
        .replace("\u2018", "'")
        .replace("\u00a0", " ")
        .replace("\u202f", " ")
    )
    s = s.replace("\u2013", "-").replace("\u2014", "-")
    return re.sub(r"\s+", " ", s.lower()).strip()


def doc_languages(sources: str) -> dict:
    """path -> language, from the SOURCES.md table (path | URL | organisation | language | ...)."""
    langs = {}
    for line in sources.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and cells[0].endswith((".txt", ".md", ".html")):
            langs[cells[0]] = cells[3]
    return langs


def check_half(half: str, prefix: str, sources: str, errors: list) -> Counter:
    langs = doc_languages(sources)
    path = ROOT / half / "questions.jsonl"
    ids, used_docs = set(), set()
    counts = Counter()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{half}:{n}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as e:
            errors.append(f"{where}: bad JSON ({e})")
            continue
        for key, typ in REQUIRED.items():
            if not isinstance(item.get(key), typ):
                errors.append(f"{where}: missing or mistyped key {key!r}")
        if any(not isinstance(item.get(k), t) for k, t in REQUIRED.items()):
            continue
        qid = item["id"]
        where = f"{half}:{qid}"
        if not qid.startswith(prefix):
            errors.append(f"{where}: id should start with {prefix}")
        if qid in ids:
            errors.append(f"{where}: duplicate id")
        ids.add(qid)
        kind = item["kind"]
        base = kind[: -len("-crosslingual")] if kind.endswith("-crosslingual") else kind
        if base not in KINDS:
            errors.append(f"{where}: unknown kind {kind!r}")
        if item["lang"] not in ("fr", "en"):
            errors.append(f"{where}: lang must be fr|en")
        if item["persona"] not in PERSONAS:
            errors.append(f"{where}: unknown persona")
        if base == "follow-up":
            hist = item.get("history")
            if not (
                isinstance(hist, list)
                and hist
                and all(isinstance(t, list) and len(t) == 2 for t in hist)
            ):
                errors.append(f"{where}: follow-up without a [[user, assistant]] history")
        docs = item.get("docs") or [item["doc"]]
        if item["doc"] not in docs:
            errors.append(f"{where}: doc not among docs")
        texts = []
        for d in docs:
            if not d.startswith(half + "/docs/"):
                errors.append(f"{where}: doc {d} is not in {half}/docs/")
            p = ROOT / d
            if not p.is_file():
                errors.append(f"{where}: doc {d} not found")
                continue
            used_docs.add(d)
            texts.append(norm(p.read_text(encoding="utf-8")))
        if base == "unanswerable":
            if item["facts"] or item["evidence"]:
                errors.append(f"{where}: unanswerable items need empty facts and evidence")
        else:
            if not item["facts"] or not item["evidence"]:
                errors.append(f"{where}: answerable item without facts or evidence")
            for ev in item["evidence"]:
                if not any(norm(ev) in t for t in texts):
                    errors.append(f"{where}: evidence not in doc: {ev!r}")
            for group in item["facts"]:
                if not (
                    isinstance(group, list) and group and all(isinstance(a, str) for a in group)
                ):
                    errors.append(f"{where}: fact group must be a non-empty list of strings")
                    continue
                try:
                    ok = any(re.search(norm(alt), t) for alt in group for t in texts)
                except re.error as e:
                    errors.append(f"{where}: bad regex in {group!r} ({e})")
                    continue
                if not ok:
                    errors.append(f"{where}: no alternative of {group!r} matches the doc")
            doc_langs = {langs.get(d) for d in docs}
            if None in doc_langs:
                errors.append(f"{where}: a doc has no language in SOURCES.md")
            elif kind.endswith("-crosslingual") != any(lg != item["lang"] for lg in doc_langs):
                errors.append(
                    f"{where}: -crosslingual suffix does not match languages "
                    f"{item['lang']} vs {sorted(doc_langs)}"
                )
            if base in ("multi-doc", "comparison") and len(docs) < 2:
                errors.append(f"{where}: {base} should name two docs in 'docs'")
        counts["n"] += 1
        counts["kind=" + base] += 1
        counts["lang=" + item["lang"]] += 1
        if kind.endswith("-crosslingual"):
            counts["crosslingual"] += 1
    for p in sorted((ROOT / half / "docs").iterdir()):
        rel = f"{half}/docs/{p.name}"
        if rel not in used_docs:
            errors.append(f"{rel}: no question uses this doc")
        if rel not in sources:
            errors.append(f"{rel}: not listed in SOURCES.md")
    return counts


# A half is a folder with questions.jsonl and docs/; its ids start with its prefix. Later tune
# batches (tune2, tune3, ...) are more tune data: ids gt2..., gt3...
# A half's id prefix: "gt" + its number for tune halves (tune5: gt5...), "gf" + its number for
# frozen ones (frozen6: gf6...).
HALF_PREFIXES = {"tune": "gt", "frozen": "gf"}


def halves() -> list[tuple[str, str]]:
    found = []
    for folder in sorted(ROOT.iterdir()):
        if (folder / "questions.jsonl").is_file():
            name = folder.name
            prefix = HALF_PREFIXES.get(name) or (
                "gf" + name.removeprefix("frozen") if name.startswith("frozen")
                else "gt" + name.removeprefix("tune"))
            found.append((name, prefix))
    return found


def read_sources() -> str:
    """The top SOURCES.md plus any SOURCES.md kept inside a half."""
    files = [ROOT / "SOURCES.md", *sorted(ROOT.glob("*/SOURCES.md"))]
    return "\n".join(f.read_text(encoding="utf-8") for f in files if f.is_file())


def main() -> int:
    sources = read_sources()
    errors: list = []
    for half, prefix in halves():
        c = check_half(half, prefix, sources, errors)
        n = c["n"] or 1
        una = c["kind=unanswerable"]
        if "--quiet" not in sys.argv:
            print(
                f"{half}: {c['n']} questions, unanswerable {una} ({una / n:.0%}), "
                f"crosslingual {c['crosslingual']} ({c['crosslingual'] / n:.0%})"
            )
            print(
                "  "
                + ", ".join(
                    f"{k}={v}" for k, v in sorted(c.items()) if k not in ("n", "crosslingual")
                )
            )
        if c["n"] < 45:
            errors.append(f"{half}: fewer than 45 questions")
        if una / n < 0.15:
            errors.append(f"{half}: unanswerable below 15%")
    for e in errors:
        print("FAIL", e)
    print("ok" if not errors else f"{len(errors)} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
