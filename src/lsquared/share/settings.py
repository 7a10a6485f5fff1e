"""Settings of the share service: one frozen dataclass, the schema of ``lsquared serve``'s options.

The defaults live only here; the CLI's help texts are derived from them.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import ParameterError

GB = 1024 ** 3


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    data_dir: Path = Path("lsquared-data")   # originals, renditions, the SQLite file, the secret key
    database_url: str | None = None          # None: SQLite (WAL) at data_dir/lsquared.db
    host: str = "127.0.0.1"                  # loopback unless told otherwise
    port: int = 8080
    workers: int = 2                         # develop processes started beside the web server
    preview_workers: int = 1                 # extra processes that make only previews (see worker.py)
    upload_limit: int = 2 * GB               # bytes per uploaded file (413 beyond)
    public_url: str | None = None            # base of share links (None: from the request)
    share_days: int = 30                     # default expiry of a share link
    lease_seconds: float = 60.0              # a job held longer by a silent worker is taken again
    max_attempts: int = 3                    # tries per job before it is recorded as failed
    poll_seconds: float = 0.1                # how often idle workers (and, on SQLite, streams) look
    ping_seconds: float = 15.0               # SSE keep-alive comment interval
    secure_cookies: bool = False             # set the Secure flag (behind HTTPS)
    login_free_failures: int = 3             # failed logins before each attempt is delayed

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir).expanduser().resolve())
        if self.workers < 0:
            raise ParameterError("--workers must be 0 or more")
        if self.preview_workers < 0:
            raise ParameterError("--preview-workers must be 0 or more")
        if self.upload_limit <= 0:
            raise ParameterError("the upload limit must be a positive number of bytes")
        if not 0 < self.port < 65536:
            raise ParameterError(f"port {self.port} is out of range 1-65535")
        if self.database_url and not self.database_url.startswith(("sqlite", "postgresql")):
            raise ParameterError(f"unsupported database URL '{self.database_url.split(':')[0]}:...'; "
                                 "use sqlite:///FILE or postgresql+psycopg://USER@HOST/DB")

    @property
    def url(self) -> str:
        """The SQLAlchemy URL actually used."""
        return self.database_url or f"sqlite:///{self.data_dir / 'lsquared.db'}"

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith("postgresql")

    def replace(self, **changes) -> "Settings":
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, **given) -> "Settings":
        """Settings from explicit values, then LSQUARED_DATABASE_URL / LSQUARED_DATA, then defaults."""
        values = {k: v for k, v in given.items() if v is not None}
        if "database_url" not in values and os.environ.get("LSQUARED_DATABASE_URL"):
            values["database_url"] = os.environ["LSQUARED_DATABASE_URL"]
        if "data_dir" not in values and os.environ.get("LSQUARED_DATA"):
            values["data_dir"] = Path(os.environ["LSQUARED_DATA"])
        for name in _ENV_TUNABLES:          # operational knobs without a command-line option
            env = os.environ.get(f"LSQUARED_{name.upper()}")
            if env and name not in values:
                kind = type(cls.__dataclass_fields__[name].default)
                try:
                    values[name] = kind(env)
                except ValueError:
                    raise ParameterError(f"LSQUARED_{name.upper()}={env!r} is not a {kind.__name__}") from None
        return cls(**values)


_ENV_TUNABLES = ("lease_seconds", "max_attempts", "poll_seconds", "ping_seconds", "share_days",
                 "login_free_failures")


def parse_size(text: str) -> int:
    """'2G', '500M', '1048576' -> bytes."""
    units = {"k": 1024, "m": 1024 ** 2, "g": GB, "t": 1024 ** 4}
    t = text.strip().lower().removesuffix("b").removesuffix("i")
    try:
        if t and t[-1] in units:
            return int(float(t[:-1]) * units[t[-1]])
        return int(t)
    except ValueError:
        raise ParameterError(f"cannot read size '{text}'; give bytes or a number with K, M or G") from None
