"""What an answer and an ingestion report look like to people: the records and lines that
the command line and the web chat both show (one place, so they never disagree)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.core.messages import message
from assistant.core.types import Answer
from assistant.ingestion.corpus import visible_name

if TYPE_CHECKING:  # a type only: ingestion loads llama-index (1.5 s), which a question needs not
    from assistant.ingestion.pipeline import IngestReport


def report_warnings(report: IngestReport, lang: str) -> list[str]:
    """Files an ingestion skipped or kept in their previous version, and what is wrong in
    the manifest, one line each (file names with their invisible characters escaped)."""
    lines = [
        message("file_skipped", lang, name=visible_name(s.name),
                reason=message(s.reason, lang, **s.values))
        for s in report.skipped
    ]
    lines += [message("ingest_kept_previous", lang, name=visible_name(n))
              for n in report.kept_previous]
    lines += [message("manifest_problem", lang, line=p.line,
                      detail=message(p.key, lang, **p.values))
              for p in report.manifest_problems]
    return lines


def report_summary(report: IngestReport, lang: str) -> str:
    """One line on what an ingestion did (the command line and the web UI show it)."""
    if report.changed_anything:
        return message("ingest_done", lang, added=len(report.added), changed=len(report.changed),
                       removed=len(report.removed), unchanged=len(report.unchanged),
                       chunks=report.chunks, seconds=report.seconds)
    return message("ingest_up_to_date", lang, unchanged=len(report.unchanged),
                   seconds=report.seconds)


# -- ask ----------------------------------------------------------------------
def answer_record(answer: Answer, top_k: int) -> dict[str, Any]:
    return {
        "answer": answer.text,
        "abstained": answer.abstained,
        "language": answer.language,
        "standalone_question": answer.standalone_question,
        "route": answer.route,
        "engine": answer.engine,
        "notice": answer.notice,
        "checked": answer.checked,
        "sources": [
            {"title": p.title, "source": p.source, "section": p.section, "text": p.text,
             "score": round(p.score, 6), "rank": p.rank}
            for p in answer.sources[:top_k]
        ],
        "citations": [
            {"number": c.number, "source": c.passage.source, "text": c.unit_text}
            for c in answer.citations
        ],
    }


def format_answer(answer: Answer) -> str:
    lines = [answer.text]
    cited = {c.number for c in answer.citations}
    if cited:
        lines.append("")
        lines.append(message("sources_header", answer.language))
        for passage in answer.sources:
            if passage.rank in cited:
                section = f" — {passage.section}" if passage.section else ""
                lines.append(f"[{passage.rank}] {passage.title}{section} ({passage.source})")
    return "\n".join(lines)

