"""Who may use the service: API tokens (stored only as hashes) and signed web sessions.

Tokens are 256-bit random strings, so a plain SHA-256 is the right hash for storing them
(a slow password hash protects guessable secrets; these are not). Checks compare every
configured hash in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

TOKEN_PREFIX = "crt_"
SESSION_COOKIE = "claims_recon_session"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Credential:
    name: str
    sha256: str


def parse_tokens(config: str) -> list[Credential]:
    """``name:sha256hex`` entries, comma-separated. ValueError names the bad entry."""
    credentials = []
    for number, entry in enumerate((e.strip() for e in config.split(",")), start=1):
        if not entry:
            continue
        name, _, digest = entry.partition(":")
        digest = digest.strip().lower().removeprefix("sha256:")
        if (
            not name.strip()
            or len(digest) != 64
            or any(c not in "0123456789abcdef" for c in digest)
        ):
            raise ValueError(f"api_tokens entry {number} must be 'name:<64 hex digits of SHA-256>'")
        credentials.append(Credential(name.strip(), digest))
    return credentials


def identify(token: str, credentials: list[Credential]) -> str | None:
    """The name owning ``token``, or None. Every entry is compared, in constant time."""
    digest = token_hash(token)
    found = None
    for credential in credentials:
        if hmac.compare_digest(digest, credential.sha256):
            found = credential.name
    return found


class Sessions:
    """Signed, stateless session cookies with an idle timeout (sliding)."""

    def __init__(self, secret: str, idle_seconds: int) -> None:
        self._serializer = URLSafeSerializer(secret, salt="claims-recon-session")
        self._csrf_key = hashlib.sha256(("csrf:" + secret).encode()).digest()
        self.idle_seconds = idle_seconds

    def issue(self, name: str, session_id: str | None = None) -> str:
        payload = {"n": name, "s": session_id or secrets.token_urlsafe(16), "t": int(time.time())}
        return self._serializer.dumps(payload)

    def read(self, cookie: str) -> tuple[str, str] | None:
        """(name, session id) of a valid, not idle-expired cookie."""
        try:
            payload = self._serializer.loads(cookie)
        except BadSignature:
            return None
        if not isinstance(payload, dict) or time.time() - payload.get("t", 0) > self.idle_seconds:
            return None
        return str(payload["n"]), str(payload["s"])

    def csrf_token(self, session_id: str) -> str:
        return hmac.new(self._csrf_key, session_id.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, session_id: str, presented: str | None) -> bool:
        return presented is not None and hmac.compare_digest(self.csrf_token(session_id), presented)
