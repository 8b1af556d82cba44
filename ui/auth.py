"""Sign-in for the web chat: accounts from the settings, kept only as salted PBKDF2 hashes.

Without accounts the app must stay on loopback: anyone who can reach the port could
otherwise read the documents through it.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
from collections.abc import Mapping

from assistant.core.errors import AssistantError

ITERATIONS = 200_000  # ~0.1 s a check: cheap for a sign-in, costly for guessing
SALT_BYTES = 16


def hash_password(password: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, ITERATIONS)


class UserTable:
    """Hashed accounts; calling it checks a user name and password (gradio's auth hook)."""

    def __init__(self, users: Mapping[str, str]) -> None:
        self._hashes: dict[str, tuple[bytes, bytes]] = {}
        for name, password in users.items():
            salt = os.urandom(SALT_BYTES)
            self._hashes[name] = (salt, hash_password(password, salt))
        # Unknown names are checked against this too, so timing does not tell which exist.
        self._decoy = (os.urandom(SALT_BYTES), os.urandom(32))

    def __bool__(self) -> bool:
        return bool(self._hashes)

    def __len__(self) -> int:
        return len(self._hashes)

    def __call__(self, username: str, password: str) -> bool:
        salt, expected = self._hashes.get(username, self._decoy)
        matches = hmac.compare_digest(hash_password(password, salt), expected)
        return matches and username in self._hashes


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def check_exposure(host: str, share: bool, users: UserTable) -> None:
    """Refuse to serve beyond this machine (other host, public link) without sign-in."""
    if users:
        return
    if share:
        raise AssistantError("ui_refuse_share")
    if not is_loopback(host):
        raise AssistantError("ui_refuse_public_host", host=host)
