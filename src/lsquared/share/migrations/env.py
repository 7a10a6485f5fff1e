"""Alembic environment: run with the connection lsquared.share.db.migrate passes in."""

from __future__ import annotations

from alembic import context

from lsquared.share.models import Base

connection = context.config.attributes.get("connection")
if connection is None:           # alembic's own command line: an URL in the config
    from sqlalchemy import create_engine

    connection = create_engine(context.config.get_main_option("sqlalchemy.url")).connect()

context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
