"""Secrets, passwords, signed cookies and the slow-down of guessing.

- Tokens (API, device, share link, web session) are ``secrets.token_urlsafe(32)``: 256 random
  bits.  Only their SHA-256 is stored; a lookup is by digest (a unique index), and a digest
  compared afterwards with ``hmac.compare_digest`` (constant time).
- Passwords: argon2id through argon2-cffi with its default (RFC 9106 low-memory) parameters.
- Signed values (a share link unlocked by its password): HMAC-SHA256 over the value with the
  service's secret key (``secret.key`` in the data folder, made once, shared by every
  process that uses the folder), with an expiry inside the signed text.
- Guessing: failed attempts are rows in the database (so every process sees them); after
  ``free`` failures in 15 minutes each further attempt must wait 2^(n-free) s (at most 5 min)
  after the last failure, and is refused with 429 before the password is even checked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from .models import Attempt

TOKEN_BYTES = 32
WINDOW_SECONDS = 15 * 60
MAX_DELAY_SECONDS = 300.0

_hasher = None


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def digests_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _argon2():
    global _hasher
    if _hasher is None:
        from argon2 import PasswordHasher

        _hasher = PasswordHasher()
    return _hasher


def hash_password(password: str) -> str:
    return _argon2().hash(password)


# a hash to verify against when the user does not exist, so both failures take as long
_DUMMY_HASH: str | None = None


def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored``; with ``stored`` None the same work is done
    against a dummy hash (no timing difference between 'no such user' and 'wrong password')."""
    from argon2.exceptions import InvalidHashError, VerificationError

    global _DUMMY_HASH
    if stored is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password(secrets.token_hex(16))
        stored, password = _DUMMY_HASH, password + "\x00never"
        result = False
    else:
        result = True
    try:
        _argon2().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    return result


# --- the service's secret key and signed values ----------------------------------------------

def load_secret_key(data_dir: Path) -> bytes:
    """The HMAC key in ``data_dir/secret.key``, made (0600, atomically) on first use;
    LSQUARED_SECRET_KEY overrides it (several machines sharing a database but not a folder)."""
    env = os.environ.get("LSQUARED_SECRET_KEY")
    if env:
        return hashlib.sha256(env.encode()).digest()
    path = Path(data_dir) / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".secret.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)          # refuses if another process made it first: keep theirs
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return bytes.fromhex(path.read_text().strip())


def sign(key: bytes, value: str, max_age: float) -> str:
    expires = int(time.time() + max_age)
    body = f"{value}|{expires}"
    mac = hmac.new(key, body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(body.encode()).decode().rstrip("=") + "." + \
        base64.urlsafe_b64encode(mac).decode().rstrip("=")


def unsign(key: bytes, signed: str | None) -> str | None:
    """The value signed by ``sign`` if the signature is good and unexpired, else None."""
    if not signed or "." not in signed:
        return None
    b64body, b64mac = signed.rsplit(".", 1)
    try:
        body = base64.urlsafe_b64decode(b64body + "=" * (-len(b64body) % 4))
        mac = base64.urlsafe_b64decode(b64mac + "=" * (-len(b64mac) % 4))
    except ValueError:
        return None
    if not hmac.compare_digest(mac, hmac.new(key, body, hashlib.sha256).digest()):
        return None
    value, _, expires = body.decode(errors="replace").rpartition("|")
    if not expires.isdigit() or int(expires) < time.time():
        return None
    return value


# --- slowing down guessing -------------------------------------------------------------------

def wait_seconds(session: Session, scopes: list[str], free: int) -> float:
    """Seconds an attempt in any of ``scopes`` must still wait (0: go ahead)."""
    t = time.time()
    longest = 0.0
    for scope in scopes:
        n, last = session.execute(select(func.count(Attempt.id), func.max(Attempt.at))
                                  .where(Attempt.scope == scope, Attempt.at > t - WINDOW_SECONDS)).one()
        if n >= free and last is not None:
            delay = min(2.0 ** (n - free), MAX_DELAY_SECONDS)
            longest = max(longest, last + delay - t)
    return max(0.0, longest)


def record_failure(session: Session, scopes: list[str]) -> None:
    t = time.time()
    for scope in scopes:
        session.add(Attempt(scope=scope, at=t))
    session.execute(delete(Attempt).where(Attempt.at < t - WINDOW_SECONDS))


def clear_failures(session: Session, scopes: list[str]) -> None:
    session.execute(delete(Attempt).where(Attempt.scope.in_(scopes)))
