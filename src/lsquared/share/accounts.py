"""Account administration outside the web server (``lsquared user add``)."""

from __future__ import annotations

from ..errors import ParameterError
from .db import make_engine, migrate, session_factory, transaction
from .service import Refused, add_user, new_api_token
from .settings import Settings


def add_user_with_token(settings: Settings, name: str, password: str) -> str:
    """Create the user (migrating the database first if it is new) and return an API token."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings)
    try:
        migrate(engine)
        with transaction(session_factory(engine)) as s:
            user = add_user(s, name, password)
            return new_api_token(s, user.id, label="created by lsquared user add")
    except Refused as exc:
        raise ParameterError(exc.message) from None
    finally:
        engine.dispose()
