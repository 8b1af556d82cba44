"""The fingerprint of the extraction rules and word lists: when it changes, ingestion
extracts every document again (its mentions are stored with its passages)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import ModuleType

from assistant.core import addresses as core_addresses
from assistant.core import lists as core_lists
from assistant.core import names as core_names
from assistant.core import text as core_text
from assistant.core.wordlists import data_path

# The core modules whose functions the rules call (acronyms, list marks, folding and whole-word
# matching): a change there changes what is extracted.
CORE_RULE_MODULES: tuple[ModuleType, ...] = (core_addresses, core_lists, core_names, core_text)


def rule_files() -> list[Path]:
    """Every module of this package, then the core modules the rules call."""
    package = sorted(Path(__file__).parent.glob("*.py"))
    return [*package, *(Path(str(module.__file__)) for module in CORE_RULE_MODULES)]


def extraction_fingerprint() -> str:
    """Changes when the directory's word lists or rules change, so that ingestion re-extracts."""
    digest = hashlib.sha256(data_path("directory", "directory").read_bytes())
    for name in ("names", "addresses"):
        digest.update(data_path("core", name).read_bytes())
    for path in rule_files():
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]
