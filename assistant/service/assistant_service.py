"""The assistant service: the one entry point the command line (and later the web UI) call.

It owns no pipeline logic of its own: it validates input, then runs the stages
corpus -> chunks -> embeddings -> store (ingest) and retrieval -> answer (ask).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.answering.compared import split_organisations
from assistant.answering.compound import join_answers, split_compound, standalone_parts
from assistant.answering.conversation import is_follow_up, resolve_follow_up
from assistant.answering.directory_answers import (
    DirectoryQuery,
    compose_directory_answer,
    load_directory,
    naming_its_organisation,
    parse_query,
    passages_answer_instead,
    search,
)
from assistant.answering.engine import answer_from_units
from assistant.answering.evidence import gather_evidence
from assistant.answering.profile import profile_question
from assistant.core.errors import AssistantError, BadQuestion, IndexUnavailable
from assistant.core.messages import message
from assistant.core.settings import Settings
from assistant.core.text import (
    is_other_language,
    normalise_question,
    question_language,
)
from assistant.core.types import Answer, History, Passage, Unit
from assistant.directory import storage as directory_store
from assistant.directory.organisations import Directory, Organisation, find_themes, themes
from assistant.retrieval.hybrid import HybridRetriever
from assistant.service.documents import DocumentChange, add_files, remove_names
from assistant.store.chroma import (
    DocRecord,
    IndexState,
    IndexStore,
    describe_failure,
    drop_unused_generations,
    get_all,
    store_failure,
)
from embeddings.base import EmbeddingModelError, TextEncoder, one_thread_at_a_time
from embeddings.provider import load_encoder

if TYPE_CHECKING:  # imported where used: llama-index costs 1.5 s; only a model needs it
    from llama_index.core.llms import LLM

    from assistant.generation.generate import Event
    from assistant.ingestion.pipeline import IngestReport

EncoderFactory = Callable[[Settings], TextEncoder]
logger = logging.getLogger(__name__)
# The directory's route for questions asking for organisations, by the name the ablation of
# bench/quality.py switches it off with.
DIRECTORY_ROUTE = "directory_route"


def default_encoder_factory(settings: Settings) -> TextEncoder:
    try:
        return load_encoder(
            settings.embedding_model, settings.models_dir, device=settings.embedding_device,
            query_threads=settings.query_threads or None, engine=settings.embedding_engine,
        )
    except EmbeddingModelError as exc:
        raise IndexUnavailable("model_error", detail=str(exc)) from exc


class AssistantService:
    """Validates questions, keeps the loaded index warm, and answers with citations."""

    def __init__(self, settings: Settings | None = None,
                 encoder_factory: EncoderFactory = default_encoder_factory) -> None:
        self.settings = settings or Settings()
        self._encoder_factory = encoder_factory
        self._encoder: TextEncoder | None = None
        self._store: IndexStore | None = None
        self._retriever: HybridRetriever | None = None
        self._directory: tuple[int, Directory] | None = None
        self._llm: LLM | None = None
        self._llm_failure: str | None = None
        self._seen_generation: int | None = None  # the active one at the latest question
        self._drop_pending = False  # a superseded generation awaits deletion
        self._drop_attempts = 0
        self._lock = threading.RLock()  # held for no store call: a hung store blocks no one
        self._building = threading.Lock()  # one retriever build at a time

    # -- shared pieces -------------------------------------------------------
    @property
    def store(self) -> IndexStore:
        if self._store is None:
            # Opened outside the lock (a server's heartbeat may hang until the timeout); two
            # threads opening at once keep the first (the web UI calls from several threads).
            opened = IndexStore(self.settings)
            with self._lock:
                if self._store is None:
                    self._store = opened
        return self._store

    def encoder(self) -> TextEncoder:
        with self._lock:
            if self._encoder is None:
                # Questions run in parallel (no lock over a question): an encoder that is
                # not thread-safe is called by one thread at a time.
                self._encoder = one_thread_at_a_time(self._encoder_factory(self.settings))
            return self._encoder

    def warm(self) -> None:
        """Load the models and the retriever now, so the first question is not slow."""
        self._ready_retriever()
        self.loaded_llm()  # a local GGUF model: a minute or two the first time, seconds after

    # -- ingestion -----------------------------------------------------------
    def ingest(self, *, show_progress: bool = False,
               on_wait: Callable[[], None] | None = None) -> IngestReport:
        from assistant.ingestion.pipeline import ingest  # a question needs none of it

        report = ingest(self.settings, self.store, self.encoder, show_progress=show_progress,
                        on_wait=on_wait)
        return report

    def add_documents(self, files: Sequence[Path | tuple[str, Path]], *,
                      on_wait: Callable[[], None] | None = None) -> DocumentChange:
        """Copy files into the corpus folder (checked, names cleaned), then re-index."""
        return add_files(self.settings, files, lambda: self.ingest(on_wait=on_wait))

    def remove_documents(self, names: Sequence[str], *,
                         on_wait: Callable[[], None] | None = None) -> DocumentChange:
        """Remove documents by file name or title from the corpus folder, then re-index."""
        titles = {doc_id: record.title for doc_id, record in self.documents()}
        return remove_names(self.settings, names, titles, lambda: self.ingest(on_wait=on_wait))

    def documents(self) -> list[tuple[str, DocRecord]]:
        state = self.store.read_state()
        return sorted(state.documents.items()) if state else []

    def document_passages(self, source: str) -> list[Passage]:
        """Every passage of one indexed document (its file name), in the document's order:
        the web chat opens the whole document at a cited passage."""
        retriever = self._ready_retriever()
        nodes = sorted((n for n in retriever.nodes if n.metadata.get("source") == source),
                       key=lambda n: int(n.metadata.get("chunk_index", 0)))
        return [p for p in map(retriever.passage_of, (n.node_id for n in nodes)) if p]

    def index_exists(self) -> bool:
        return self.store.read_state() is not None

    # -- questions -----------------------------------------------------------
    def validate(self, question: str) -> tuple[str, str]:
        """The cleaned question and its language, or a BadQuestion with a clear message."""
        cleaned = normalise_question(question or "")
        language = question_language(cleaned, self.settings.default_language) if cleaned else (
            self.settings.default_language
        )
        if not cleaned:
            raise BadQuestion("empty_question")
        if len(cleaned) > self.settings.max_question_chars:
            raise BadQuestion(
                "question_too_long", length=len(cleaned), limit=self.settings.max_question_chars
            )
        if is_other_language(cleaned):
            raise BadQuestion("other_language")
        return cleaned, language

    def ask(self, question: str, history: History | None = None) -> Answer:
        final: Answer | None = None
        for event in self.ask_stream(question, history):
            if isinstance(event, Answer):
                final = event
        assert final is not None  # ask_stream always ends with the answer
        return final

    def ask_stream(self, question: str, history: History | None = None) -> Iterator[Event]:
        """The answer as events: with a model configured, its draft as it streams (Delta),
        then the checked answer; without one, the answer alone. Bad input raises
        BadQuestion when iteration starts. The question holds the store generation it
        reads: a re-index meanwhile deletes it only once no question holds it."""
        self.validate(question)
        with self.holding_generation():
            yield from self._ask_stream(question, history)

    @contextmanager
    def holding_generation(self) -> Iterator[None]:
        """Hold the active generation (store.leases) for as long as the block runs; the
        state is read again once held, so that an ingestion committing meanwhile either
        sees the hold or has already switched (then the new generation is held). A
        superseded generation is deleted by this process' first question on the new one,
        or by the last question holding it, on its way out."""
        state = self.store.read_state()
        if state is not None:
            seen, self._seen_generation = self._seen_generation, state.generation
            if seen not in (None, state.generation) or self._drop_pending:
                self._drop_superseded()  # this process has moved on from ``seen``
        for _ in range(3):
            if state is None:
                break
            with self.store.leases.hold(state.generation):
                again = self.store.read_state()
                held = again is not None and again.generation == state.generation
                if held:
                    try:
                        yield
                    finally:
                        superseded = self._seen_generation != state.generation
            if held:
                if superseded:  # after the release: this hold no longer keeps it
                    self._drop_superseded()
                return
            state = again
        yield  # switched three times in a row, or no index (the question says so)

    def _drop_superseded(self) -> None:
        """A generation this process held is no longer active: delete it if nobody else
        holds it. Tried again at the next question when it could not run (an ingestion, or
        another thread's attempt, held the lock); best effort: the next ingestion does it
        otherwise."""
        with self._lock:
            self._drop_attempts += 1
            attempt = self._drop_attempts
        try:
            ran = drop_unused_generations(self.store)
        except Exception:  # noqa: BLE001 - housekeeping never fails a question
            logger.info("previous generations not deleted yet", exc_info=True)
            ran = False
        with self._lock:  # an attempt that started after this one may have been refused
            if not ran:
                self._drop_pending = True
            elif attempt == self._drop_attempts:
                self._drop_pending = False

    def _ask_stream(self, question: str, history: History | None) -> Iterator[Event]:
        cleaned, language = self.validate(question)
        history = list(history or [])
        llm, failure = self.loaded_llm()
        standalone = resolve_follow_up(cleaned, history, language)
        if llm is not None and history and is_follow_up(cleaned, language):
            from assistant.generation.generate import rewrite_follow_up

            standalone = rewrite_follow_up(llm, cleaned, history, language,
                                           self.settings.llm_timeout_s) or standalone
        parts = split_compound(standalone, language)
        if len(parts) > 1:
            parts = standalone_parts(parts, language)
        else:
            parts = split_organisations(standalone, language)
        if len(parts) > 1:
            # Each part answered on its own, extractively: a generated text would have to
            # be checked against two passages' worth of citations at once.
            joined = join_answers(parts, [self._answer_part(p, language) for p in parts],
                                  language)
            joined.standalone_question = " ".join(parts)
            yield joined
            return
        answer, units = self._routed_answer(standalone, language, [a for _, a in history])
        if units is None:  # the directory's list
            yield answer
            return
        if failure:
            answer.notice = message(failure, language)
        # An abstention stands: its checks (unknown organisation, missing attribute) are
        # the engine's, and a fluent model would only make a wrong answer sound right.
        if llm is None or answer.abstained:
            yield answer
            return
        from assistant.generation.generate import generated_answer

        yield from generated_answer(
            llm, standalone, answer, units, self._encode_claims,
            is_list=profile_question(standalone, language).is_list,
            max_sentences=self.settings.answer_max_units, timeout_s=self.settings.llm_timeout_s,
        )

    def _answer_part(self, part: str, language: str) -> Answer:
        """One part of a two-part question, answered as a question of its own."""
        return self._routed_answer(part, language)[0]

    def _routed_answer(self, question: str, language: str, said: Sequence[str] = ()
                       ) -> tuple[Answer, list[Unit] | None]:
        """The directory's list (its units None) when the question asks for organisations
        by theme, town or relation, unless the passages name whom the list leaves out
        (``passages_answer_instead``); else the passages' answer, saying whose page it
        quotes when it names no organisation."""
        directory = self.directory()  # read once: the list and the gate see one generation
        query, found = self.directory_route(question, language, directory)
        answer, units = self._extractive(question, language, said)
        if found and not passages_answer_instead(answer, found, directory):
            return self._directory_list(query, found, language, question, directory), None
        if query.asks_organisations:
            answer = naming_its_organisation(answer, language)
        return answer, units

    def _extractive(self, standalone: str, language: str,
                    said: Sequence[str] = ()) -> tuple[Answer, list[Unit]]:
        """The engine's answer from the passages; ``said``: the conversation's answers."""
        retriever = self._ready_retriever()
        try:  # no lock: sessions are not serialised behind a slow or hung store
            evidence = gather_evidence(standalone, language, retriever, self.directory,
                                       self.settings.top_k, self._aliases_of,
                                       section_passages=self.settings.section_passages,
                                       naming_passages=self.settings.naming_passages,
                                       timeline_passages=self.settings.timeline_passages)
        except AssistantError:
            raise
        except Exception as exc:  # the store failing mid-retrieval: said as such
            failure = store_failure(exc, self.settings)
            if failure is None:
                raise
            raise failure from exc
        answer = answer_from_units(
            standalone, language, evidence.sources, evidence.units, evidence.query_vector,
            retriever.statistics.idf_of, max_units=self.settings.answer_max_units,
            list_max=self.settings.list_max_units, vocabulary=retriever.statistics.vocabulary,
            aliases_of=self._aliases_of, said=said,
            disabled_checks=frozenset(self.settings.disabled_checks),
        )
        answer.standalone_question = standalone
        return answer, evidence.units

    def _aliases_of(self, name: str) -> list[str]:
        """The organisation's other names in the directory ("WSM" -> "Solidarité Mondiale")."""
        try:
            org = self.directory().find(name)
        except IndexUnavailable:
            return []
        return org.all_names() if org else []

    # -- the language model (optional) -----------------------------------------
    def llm(self) -> tuple[LLM | None, str | None]:
        """The configured model (None: extractive only), or the notice key of why it could
        not be set up (the extractive answer is then given with that notice)."""
        with self._lock:
            if self._llm is None and self._llm_failure is None and self.wants_llm():
                from assistant.generation.llm import build_llm

                try:
                    self._llm = build_llm(self.settings)
                except Exception:  # a bad GGUF path, a missing package: say so, answer anyway
                    logger.info("the language model cannot be set up", exc_info=True)
                    self._llm_failure = "llm_unavailable"
            return self._llm, self._llm_failure

    def wants_llm(self) -> bool:
        """Is a model configured? ("none", the default, is the extractive engine alone: the
        generation stage and llama-index are then never imported.)"""
        return self.settings.llm_provider != "none"

    def loaded_llm(self) -> tuple[LLM | None, str | None]:
        """The model with its weights loaded (a local model loads on first use, outside the
        answer's timeout and outside the service lock: other sessions keep answering)."""
        llm, failure = self.llm()
        load = getattr(llm, "load", None)
        if callable(load):
            try:
                load()
            except Exception:  # a missing or unreadable GGUF file: the notice says so
                logger.info("the language model cannot be loaded", exc_info=True)
                return None, "llm_unavailable"
        return llm, failure

    def _encode_claims(self, texts: list[str]) -> np.ndarray:
        return self.encoder().encode_queries(texts)  # thread-safe, or behind its own lock

    # -- the organisation directory -------------------------------------------
    def directory(self) -> Directory:
        """The directory of the active generation (no model needed: the CLI lists fast):
        the one ingestion stored beside it, else (a store from an older version, or a
        directory built by other code) built here from the mentions and chunks."""
        state = self._active_state()
        known = self._directory
        if known is not None and known[0] == state.generation:
            return known[1]
        # Loaded outside the lock (a hung store serialises no one); two threads loading at
        # once both get a correct directory.
        loaded = self._load_directory(state.generation)
        with self._lock:
            self._directory = (state.generation, loaded)
        return loaded

    def _load_directory(self, generation: int) -> Directory:
        stored = directory_store.load(self.store, generation)
        if stored is not None:
            return stored
        try:
            orgs = self.store.existing_collection(self.store.orgs_name(generation))
            chunks = self.store.existing_collection(self.store.chunks_name(generation))
            got: Any = get_all(chunks, ["documents"])
        except IndexUnavailable:
            raise
        except Exception as exc:
            raise describe_failure(exc, self.settings) from exc
        texts = list(zip(got["ids"], got["documents"] or [], strict=True))
        return load_directory(orgs, texts)

    def organisations(self, theme: str | None = None,
                      town: str | None = None) -> list[Organisation]:
        """The directory filtered by theme (in either language) and town; BadQuestion names
        the known themes when the theme is unknown."""
        directory = self.directory()
        found = list(directory.organisations)
        if theme:
            matched = find_themes(theme)
            if not matched:
                raise BadQuestion("directory_unknown_theme", theme=theme,
                                  themes=", ".join(t.id for t in themes()))
            found = [o for o in found if any(t.id in o.themes for t in matched)]
        if town:
            located = directory.in_town(town)
            found = [o for o in found if o in located]
        return found

    def directory_search(self, question: str) -> list[Organisation]:
        """The organisations a question's theme, town or relation selects (no routing)."""
        cleaned, language = self.validate(question)
        directory = self.directory()
        return search(parse_query(cleaned, language, directory), directory)

    def directory_route(self, question: str, language: str, directory: Directory
                        ) -> tuple[DirectoryQuery, list[Organisation]]:
        """What the question asks of the directory, and the organisations it selects: none
        when it asks for no organisation, or when the route is switched off (for
        bench/quality.py's ablation)."""
        query = parse_query(question, language, directory)
        if DIRECTORY_ROUTE in self.settings.disabled_checks or not query.asks_organisations:
            return query, []
        return query, search(query, directory)

    def _directory_list(self, query: DirectoryQuery, found: list[Organisation], language: str,
                        question: str, directory: Directory) -> Answer:
        retriever = self._ready_retriever()
        answer = compose_directory_answer(query, found, language, retriever.by_id,
                                          self.settings.list_max_units, directory)
        answer.standalone_question = question
        return answer

    def _ready_retriever(self) -> HybridRetriever:
        """The retriever for the active generation (reloaded after a re-ingestion). Built
        under its own lock, not the service's: questions needing it wait for it, nothing
        else does (a hung store fails the build within the store timeout)."""
        state = self._active_state()
        with self._building:
            retriever = self._retriever
            if retriever is None or retriever.generation != state.generation:
                retriever = HybridRetriever(self.settings, self.store, state.generation,
                                            self.encoder())
                self._retriever = retriever
            return retriever

    def _active_state(self) -> IndexState:
        state = self.store.read_state()
        if state is None:
            raise IndexUnavailable("index_missing")
        return state
