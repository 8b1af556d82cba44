"""Command line: ``assistant ingest | add | remove | ask | chat | eval | serve | llm serve |
feedback export``.

A thin layer over ``AssistantService``: parse, call, print. Expected failures print
one clear line on stderr and exit non-zero; never a traceback.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import shutil
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from assistant.core.errors import AssistantError, BadQuestion
from assistant.core.messages import message
from assistant.core.settings import Settings
from assistant.core.types import Answer
from assistant.directory.organisations import themes
from assistant.service.assistant_service import AssistantService
from assistant.service.evaluation import (
    directory_rows,
    directory_summary,
    failures,
    is_directory_check,
    score,
    summary,
)
from assistant.service.feedback import FeedbackStore
from assistant.service.presenters import (
    answer_record,
    format_answer,
    report_summary,
    report_warnings,
)
from assistant.service.ratelimit import SignInThrottle
from assistant.store.chroma import set_aside_corrupted_store

if TYPE_CHECKING:  # types only: ingestion and generation load llama-index (1.5 s)
    from assistant.ingestion.pipeline import IngestReport
    from ui.auth import UserTable

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach a model hub at run time
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assistant",
        description="Assistant documentaire MOC / WSM / AID : réponses citées, hors ligne.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    add_document_commands(sub)
    add_question_commands(sub)
    add_server_commands(sub)
    return parser


def add_document_commands(sub: Any) -> None:
    """ingest, add, remove: what the corpus holds."""
    ingest = sub.add_parser("ingest", help="(Ré)indexer le dossier corpus/ (incrémental).")
    ingest.add_argument("--rebuild", action="store_true",
                        help="Mettre l'index actuel de côté et tout reconstruire.")
    add = sub.add_parser("add", help="Ajouter des documents (PDF, DOCX, ODT, HTML, Markdown, "
                                     "texte) au dossier corpus/, puis réindexer.")
    add.add_argument("files", nargs="+", type=Path, help="Fichiers à ajouter.")
    remove = sub.add_parser("remove", help="Retirer des documents du dossier corpus/ (par nom "
                                           "de fichier ou titre), puis réindexer.")
    remove.add_argument("names", nargs="+", help="Noms de fichier (ou titres) à retirer.")


def add_question_commands(sub: Any) -> None:
    """ask, chat, eval, orgs: questions to the documents and the directory."""
    ask = sub.add_parser("ask", help="Poser une question (ou un lot avec --batch).")
    ask.add_argument("question", nargs="?", help="La question.")
    ask.add_argument("--json", action="store_true", help="Réponse en JSON.")
    ask.add_argument("--batch", type=Path, help="Fichier JSONL : id, q, history (optionnel).")
    ask.add_argument("--stream", action=argparse.BooleanOptionalAction, default=None,
                     help="Afficher le brouillon du modèle de langue sur stderr pendant qu'il "
                          "s'écrit (défaut : si stderr est un terminal).")
    chat = sub.add_parser("chat", help="Conversation interactive (garde l'historique).")
    chat.add_argument("--stream", action=argparse.BooleanOptionalAction, default=None,
                      help="Afficher le brouillon du modèle de langue (défaut : terminal).")
    evaluate = sub.add_parser("eval", help="Scores sur un jeu de questions JSONL.")
    evaluate.add_argument("questions", type=Path)
    evaluate.add_argument("--k", type=int, default=5, help="Rang pour hit@k.")
    evaluate.add_argument("--failures", action="store_true", help="Lister les échecs.")
    orgs = sub.add_parser("orgs", help="Répertoire des organisations (par thème, localité).")
    orgs.add_argument("--theme", help="Thème, en français ou en anglais (logement, housing...).")
    orgs.add_argument("--town", help="Localité (Liège, Bruxelles...).")
    orgs.add_argument("--json", action="store_true", help="Sortie JSON.")


def add_server_commands(sub: Any) -> None:
    """serve, llm serve, feedback export: the web chat, a model server, the chat's votes."""
    serve = sub.add_parser("serve", help="Démarrer la conversation web (Gradio).")
    serve.add_argument("--host", help="Adresse d'écoute (défaut : ASSISTANT_UI_HOST, 127.0.0.1).")
    serve.add_argument("--port", type=int, help="Port (défaut : ASSISTANT_UI_PORT, 7860).")
    serve.add_argument("--share", action="store_true", default=None,
                       help="Ouvrir aussi un lien public (exige des comptes).")
    llm = sub.add_parser("llm", help="Modèle de langue local (llama.cpp).")
    llm_sub = llm.add_subparsers(dest="llm_command", required=True)
    llm_serve = llm_sub.add_parser(
        "serve", help="Servir un fichier GGUF sur 127.0.0.1 (serveur llama.cpp, API "
                      "compatible OpenAI) jusqu'à Ctrl-C.")
    llm_serve.add_argument("--model", type=Path,
                           help="Fichier .gguf (défaut : ASSISTANT_LLM_MODEL, sinon Gemma 3 "
                                "270M de l'extra gguf).")
    llm_serve.add_argument("--port", type=int,
                           help="Port (défaut : celui d'ASSISTANT_LLM_BASE_URL, 8080).")
    feedback = sub.add_parser("feedback", help="Avis laissés dans la conversation web.")
    feedback_sub = feedback.add_subparsers(dest="feedback_command", required=True)
    export = feedback_sub.add_parser(
        "export", help="Écrire les cas « pouce en bas » au format de shared/eval/dev.jsonl."
    )
    export.add_argument("--out", type=Path, help="Fichier JSONL (défaut : la sortie standard).")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings()
    service = AssistantService(settings)
    lang = settings.default_language
    try:
        if args.command == "ingest":
            return run_ingest(service, rebuild=args.rebuild)
        if args.command in ("add", "remove"):
            return run_documents(service, args.command, args.files if args.command == "add"
                                 else args.names, sys.stdout)
        if args.command == "ask" and args.batch:
            return run_batch(service, args.batch, sys.stdout)
        if args.command == "ask":
            return run_ask(service, args.question or "", as_json=args.json,
                           stream=wants_stream(args.stream, as_json=args.json))
        if args.command == "chat":
            return run_chat(service, stream=wants_stream(args.stream))
        if args.command == "serve":
            return run_serve(service, host=args.host, port=args.port, share=args.share)
        if args.command == "orgs":
            return run_orgs(service, args.theme, args.town, as_json=args.json, out=sys.stdout)
        if args.command == "feedback":
            return run_feedback_export(settings, args.out, sys.stdout)
        if args.command == "llm":
            return run_llm_serve(settings, args.model, args.port)
        return run_eval(service, args.questions, k=args.k, show_failures=args.failures)
    except AssistantError as exc:
        print(exc.render(lang), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(message("interrupted", lang), file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line, the traceback only on request
        if os.environ.get("ASSISTANT_DEBUG"):
            raise
        print(message("internal_error", lang, detail=f"{type(exc).__name__}: {exc}"[:200]),
              file=sys.stderr)
        return 1


# -- ingest -------------------------------------------------------------------
def run_ingest(service: AssistantService, *, rebuild: bool = False) -> int:
    lang = service.settings.default_language
    if rebuild:
        aside = set_aside_corrupted_store(service.settings, waiting_notice(service.settings))
        if aside:
            print(f"{service.settings.chroma_path} -> {aside}", file=sys.stderr)
    report = service.ingest(show_progress=sys.stderr.isatty(),
                            on_wait=waiting_notice(service.settings))
    print_report(report, lang)
    return 0


def run_documents(service: AssistantService, command: str, items: Sequence[Any],
                  out: TextIO) -> int:
    """``add FILE...`` / ``remove NAME...``: one line per file (added, replaced, unchanged,
    removed, refused and why), then the re-index's summary; exit 2 when any was refused."""
    lang = service.settings.default_language
    notice = waiting_notice(service.settings)
    change = (service.add_documents(items, on_wait=notice) if command == "add"
              else service.remove_documents(items, on_wait=notice))
    for outcome in change.outcomes:
        print(outcome.line(lang), file=out)
    if change.report is not None:
        print_report(change.report, lang, out)
    else:
        print(message("doc_nothing_changed", lang), file=out)
    if command == "add" and change.refused:
        print(message("formats_read", lang), file=sys.stderr)
    return 2 if change.refused else 0


def waiting_notice(settings: Settings) -> Callable[[], None]:
    """Says on stderr that this ingestion waits for another one (instead of seeming hung)."""
    return lambda: print(message("ingest_waiting", settings.default_language,
                                 seconds=round(settings.ingest_wait_seconds)), file=sys.stderr)


def print_report(report: IngestReport, lang: str, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    for line in report_warnings(report, lang):
        print(line, file=sys.stderr)
    print(report_summary(report, lang), file=out)






def ensure_index(service: AssistantService) -> None:
    """Ask, batch and chat build the index first when there is none (the report goes to
    stderr: stdout carries only answers, so JSON output stays parseable)."""
    if not service.index_exists():
        lang = service.settings.default_language
        report = service.ingest(show_progress=sys.stderr.isatty(),
                                on_wait=waiting_notice(service.settings))
        print_report(report, lang, out=sys.stderr)






def wants_stream(flag: bool | None, *, as_json: bool = False) -> bool:
    """Stream the model's draft when asked, or by default to a terminal (not with --json)."""
    return flag if flag is not None else (not as_json and sys.stderr.isatty())


def streamed_answer(service: AssistantService, question: str,
                    history: list[tuple[str, str]] | None = None, *,
                    draft: TextIO | None = None) -> Answer:
    """Ask, writing the model's draft to ``draft`` as it streams. On a terminal the draft
    is erased once the checked answer is ready: only checked text stays on screen."""
    final: Answer | None = None
    shown = ""
    for event in service.ask_stream(question, history):
        if isinstance(event, Answer):
            final = event
        else:  # a Delta of the model's draft
            if draft is not None and event.text:
                if not shown:
                    shown = message("llm_draft", service.settings.default_language) + "\n"
                    draft.write(shown)
                draft.write(event.text)
                draft.flush()
                shown += event.text
    if draft is not None and shown:
        draft.write(erase_sequence(shown) if draft.isatty() else "\n")
        draft.flush()
    assert final is not None  # ask_stream always ends with the answer
    return final


def erase_sequence(text: str) -> str:
    """ANSI codes that move back to the first line ``text`` took on the terminal and clear
    from there down."""
    columns = max(20, shutil.get_terminal_size().columns)
    rows = sum(max(1, -(-len(line) // columns)) for line in text.split("\n"))
    return "\r" + (f"\x1b[{rows - 1}A" if rows > 1 else "") + "\x1b[J"


def run_ask(service: AssistantService, question: str, *, as_json: bool,
            stream: bool = False) -> int:
    service.validate(question)  # fail fast on bad input, before any model loads
    ensure_index(service)
    answer = streamed_answer(service, question, draft=sys.stderr if stream else None)
    if answer.notice and not as_json:
        print(answer.notice, file=sys.stderr)
    if as_json:
        record = answer_record(answer, service.settings.sources_listed)
        print(json.dumps(record, ensure_ascii=False))
    else:
        print(format_answer(answer))
    return 0


def read_batch(path: Path,
               lang: str = "fr") -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    """Lines decoded one by one: a line that is not UTF-8 is reported, the others answered."""
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                yield number, None, message("reason_encoding", lang)
                continue
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                if not isinstance(item, dict) or "q" not in item:
                    raise ValueError("'q' missing")
                yield number, item, ""
            except ValueError as exc:
                yield number, None, str(exc)


def batch_history(raw: Any) -> list[tuple[str, str]] | None:
    """[[user, assistant], ...] as pairs of strings; None when it is not that shape."""
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(
        isinstance(turn, list | tuple) and len(turn) == 2 for turn in raw
    ):
        return None
    return [(str(user), str(assistant)) for user, assistant in raw]


def ask_record(service: AssistantService, question: str, history: list[tuple[str, str]],
               top_k: int) -> dict[str, Any]:
    """The answer record of one question; a refused question records its message."""
    try:
        return answer_record(service.ask(question, history), top_k)
    except BadQuestion as exc:
        lang = service.settings.default_language
        return {"answer": exc.render(lang), "abstained": True, "sources": [], "error": exc.key}


def run_batch(service: AssistantService, path: Path, out: TextIO) -> int:
    """One JSON line out per question in; a bad question gets its message as the answer."""
    lang = service.settings.default_language
    ensure_index(service)
    for number, item, problem in read_batch(path, lang):
        if item is None:
            print(message("batch_bad_line", lang, line=number, detail=problem), file=sys.stderr)
            continue
        history = batch_history(item.get("history"))
        if history is None:
            print(message("batch_bad_line", lang, line=number, detail="history"), file=sys.stderr)
            continue
        record = ask_record(service, str(item["q"]), history,
                            service.settings.sources_listed)
        out.write(json.dumps({"id": item.get("id"), **record}, ensure_ascii=False) + "\n")
        out.flush()
    return 0


# -- chat -----------------------------------------------------------------------
def run_chat(service: AssistantService, *, stream: bool = False) -> int:
    lang = service.settings.default_language
    ensure_index(service)
    if isinstance(sys.stdin, io.TextIOWrapper):  # bytes that are not UTF-8 must not end the chat
        sys.stdin.reconfigure(errors="replace")
    print(message("chat_welcome", lang))
    save_questions = line_editing(service.settings.data_dir / CHAT_HISTORY_FILE)
    history: list[tuple[str, str]] = []
    while True:
        try:
            question = input("> ")
        except EOFError:
            save_questions()
            return 0
        save_questions()
        if not question.strip():
            return 0
        if question.strip() in ("/effacer", "/clear"):
            history.clear()
            print(message("chat_cleared", lang))
            continue
        try:
            answer = streamed_answer(service, question, history,
                                     draft=sys.stderr if stream else None)
        except BadQuestion as exc:
            print(exc.render(lang))
            continue
        if answer.notice:
            print(answer.notice)
        print(format_answer(answer) + "\n")
        # Keep the standalone question: later follow-ups still know what "it" refers to.
        history.append((answer.standalone_question or question, answer.text))


CHAT_HISTORY_FILE = "chat_history"  # the questions of earlier chats, for the Up arrow
CHAT_HISTORY_LINES = 500


def line_editing(path: Path) -> Callable[[], None]:
    """In a terminal, the prompt edits like a shell's (arrows, Home/End, Ctrl-R) and Up
    recalls earlier questions, this chat's and the last ``CHAT_HISTORY_LINES`` of earlier
    ones (kept in the data folder, readable by its owner only), through the standard
    library's readline. Returns what saves the questions; piped input is left alone."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return lambda: None
    try:
        import readline  # importing it is what turns line editing on for input()
    except ImportError:  # a Python built without it: plain input, as before
        return lambda: None
    from contextlib import suppress

    readline.set_history_length(CHAT_HISTORY_LINES)
    with suppress(OSError):  # no earlier chat (or an unreadable file): start empty
        readline.read_history_file(path)

    def save() -> None:
        with suppress(OSError):  # the chat goes on without remembering
            path.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(path)
            path.chmod(0o600)

    return save


# -- serve ----------------------------------------------------------------------
def run_serve(service: AssistantService, *, host: str | None, port: int | None,
              share: bool | None) -> int:
    """Index if needed, then serve the web chat until Ctrl-C."""
    from ui.app import build_app, launch_app  # gradio loads slowly: only for this command

    settings = service.settings
    host = host or settings.ui_host
    port = port or settings.ui_port
    share = settings.ui_share if share is None else share
    users = prepare_access(settings, host, share)
    ensure_index(service)
    service.warm()  # the first visitor gets an answer in milliseconds, not after a model load
    app = build_app(service, settings)
    print(message("serve_started", settings.default_language, host=host, port=port),
          file=sys.stderr)
    log_sign_ins()
    launch_app(app, users, host=host, port=port, share=share, lang=settings.default_language,
               settings=settings)
    return 0


def log_sign_ins() -> None:
    """Sign-ins, failed and successful, one line each on stderr for the administrator."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    auth_log = logging.getLogger("ui.auth")
    auth_log.addHandler(handler)
    auth_log.setLevel(logging.INFO)


def prepare_access(settings: Settings, host: str, share: bool) -> UserTable:
    """Hash the accounts and refuse an exposed address without them (before any indexing)."""
    from ui.auth import UserTable, check_exposure  # FastAPI (0.15 s): for the web page only

    throttle = SignInThrottle(settings.ui_sign_in_failures, settings.ui_sign_in_lockout_seconds)
    users = UserTable({n: p.get_secret_value() for n, p in settings.ui_users.items()},
                      throttle, lang=settings.default_language)
    check_exposure(host, share, users)
    return users


# -- llm serve ------------------------------------------------------------------
def run_llm_serve(settings: Settings, model: Path | None, port: int | None) -> int:
    """llama.cpp's OpenAI-compatible server for one GGUF file, on loopback, until Ctrl-C."""
    from urllib.parse import urlsplit

    from assistant.generation.llamacpp import ModelFileError, serve_until_stopped
    from assistant.generation.llm import gguf_path

    lang = settings.default_language
    port = port or urlsplit(settings.llm_base_url).port or 8080
    try:
        path = model.expanduser() if model else gguf_path(settings)
        server = serve_until_stopped(settings, path, port, lambda url: print(
            message("llm_serve_started", lang, url=url, model=path.name), file=sys.stderr,
            flush=True))
    except (ModelFileError, FileNotFoundError) as exc:
        print(message("llm_model_missing", lang, detail=str(exc)), file=sys.stderr)
        return 2
    except RuntimeError as exc:
        print(message("llm_serve_failed", lang, port=port, detail=str(exc)), file=sys.stderr)
        return 2
    print(message("llm_serve_stopped", lang), file=sys.stderr, flush=True)
    sys.stdout.flush()
    # At once: llama.cpp's own shutdown would let an answer in progress run on.
    os._exit(0 if server is not None else 1)


# -- feedback -------------------------------------------------------------------
def run_feedback_export(settings: Settings, out_path: Path | None, out: TextIO) -> int:
    store = FeedbackStore.for_settings(settings)
    if out_path is None:
        for record in store.thumbs_down_records():
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return 0
    count = store.export_thumbs_down(out_path)
    print(message("feedback_exported", settings.default_language, count=count, path=out_path),
          file=sys.stderr)
    return 0


# -- orgs -----------------------------------------------------------------------
def run_orgs(service: AssistantService, theme: str | None, town: str | None, *,
             as_json: bool, out: TextIO) -> int:
    """The directory, filtered; each organisation with its facts and the passages they
    come from (sources cited by file)."""
    ensure_index(service)
    found = service.organisations(theme=theme, town=town)
    if as_json:
        out.write(json.dumps([o.to_dict() for o in found], ensure_ascii=False, indent=1) + "\n")
        return 0
    lang = service.settings.default_language
    out.write(message("orgs_header", lang, count=len(found)) + "\n")
    for org in found:
        out.write(f"\n{org.title}\n")
        if org.description:
            out.write(f"  {org.description}\n")
        if org.town:
            out.write(f"  {message('orgs_town', lang)} : {org.address or org.town}\n")
        if org.themes:
            labels = [t.label(lang) for t in themes() if t.id in org.themes]
            out.write(f"  {message('orgs_themes', lang)} : {', '.join(labels)}\n")
        for relation in org.relations:
            out.write(f"  {message('relation_' + relation.kind, lang)} {relation.target_name}\n")
        for source in org.sources[:3]:
            where = f" ({source.document})" if source.document else ""
            out.write(f"  « {source.text[:160]} »{where}\n")
    return 0


# -- eval -----------------------------------------------------------------------
def run_eval(service: AssistantService, path: Path, *, k: int, show_failures: bool) -> int:
    ensure_index(service)
    lines = path.read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line) for line in lines if line.strip()]
    if questions and all(is_directory_check(q) for q in questions):
        return run_directory_eval(service, path, questions, show_failures)
    answers = []
    for item in questions:
        history = batch_history(item.get("history")) or []
        answers.append({"id": item["id"], **ask_record(service, str(item["q"]), history, k)})
    rows = score(questions, answers, k)
    lang = service.settings.default_language
    print(message("eval_header", lang, path=path, n=len(questions)))
    result = summary(rows)
    result["routes"] = dict(Counter(str(a.get("route", "passages")) for a in answers))
    print(json.dumps(result, indent=1, ensure_ascii=False))
    if show_failures:
        for line in failures(rows):
            print("FAIL", line, file=sys.stderr)
    return 0


def run_directory_eval(service: AssistantService, path: Path,
                       checks: Sequence[dict[str, Any]], show_failures: bool) -> int:
    """List recall and precision of the directory on a check set (tests/directory_checks.jsonl)."""
    rows = directory_rows(
        checks, lambda query: [org.all_names() for org in service.directory_search(query)])
    lang = service.settings.default_language
    print(message("eval_header", lang, path=path, n=len(checks)))
    print(json.dumps(directory_summary(rows), indent=1, ensure_ascii=False))
    if show_failures:
        for row in rows:
            if row["recall"] < 1 or row["precision"] < 1:
                print(f"FAIL {row['id']} R={row['recall']:.2f} P={row['precision']:.2f} "
                      f"got={row['returned']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
