"""Database engine and schema migrations.

SQLite runs in WAL mode (readers never wait for the writer; one writer at a time, each write
waiting up to 30 s for the lock); PostgreSQL through psycopg 3.  Alembic upgrades the schema
to the newest revision on every start; on PostgreSQL an advisory lock makes two servers
starting together migrate one after the other.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ..errors import LsquaredError
from .settings import Settings

MIGRATIONS = Path(__file__).with_name("migrations")
MIGRATE_LOCK = 0x6C73710A          # pg_advisory_lock key ('lsq\n')


class DatabaseError(LsquaredError):
    """The database cannot be reached or upgraded."""


def make_engine(settings: Settings) -> Engine:
    url = settings.url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # autocommit off in the driver; SQLAlchemy issues BEGIN itself (below) so that
            # write transactions take the lock at their start (BEGIN IMMEDIATE) when asked
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # IMMEDIATE: a deferred transaction that reads, then writes after another process
            # committed, gets SQLITE_BUSY at once (WAL snapshot conflict; busy_timeout does not
            # wait for that): an upload while a worker publishes failed with "database is locked"
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def migrate(engine: Engine) -> None:
    """Create or upgrade the schema to Alembic's head revision."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATE_LOCK})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except LsquaredError:
        raise
    except Exception as exc:            # unreachable server, wrong password, no such database
        raise DatabaseError(f"cannot open or upgrade the database: {str(exc).splitlines()[0]}",
                            hint="check --database / LSQUARED_DATABASE_URL") from exc


@contextmanager
def transaction(factory: sessionmaker[Session]):
    """A session in one transaction: committed on success, rolled back on error."""
    with factory() as session, session.begin():
        yield session
