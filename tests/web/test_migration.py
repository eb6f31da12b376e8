"""The 0002_web migration on SQLite and PostgreSQL: up, down and up again."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from admin.web.template_versions import save_version
from admin.web.users import add_user
from drip.db import alembic_config, session_factory, transaction, upgrade

WEB_TABLES = {"users", "template_versions"}


def _downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_the_web_tables_come_and_go_with_their_revision(engine: Engine) -> None:
    assert set(inspect(engine).get_table_names()) >= WEB_TABLES
    _downgrade(engine, "0001_subscribers")
    assert not WEB_TABLES & set(inspect(engine).get_table_names())
    upgrade(engine)
    with transaction(session_factory(engine)) as session:
        add_user(session, "ada", "admin", "a long passphrase")
        save_version(session, "lesson.html", "text", "ada")


def test_the_database_refuses_an_unknown_role(engine: Engine) -> None:
    insert = text(
        "INSERT INTO users (name, role, password_hash, created_at) "
        "VALUES ('bob', 'boss', 'x', CURRENT_TIMESTAMP)"
    )
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(insert)
