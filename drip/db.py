"""The database: one declarative base for every table, engines, sessions and migrations.

SQLite is the embedded default (a file under var/, WAL mode so readers never block the
one writer); PostgreSQL is supported through psycopg 3. Schema changes are Alembic
migrations under drip/migrations; `upgrade` applies them, and every command calls it
on an empty database so a newcomer never has to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, MetaData, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# Stable constraint names, so migrations can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files get their folder created and WAL switched on."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision` (idempotent: a current database is left alone)."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with factory() as session, session.begin():
        yield session


def insert_ignoring_conflicts(
    dialect_name: str, table: type[Base] | Table, *conflict_columns: str
) -> sqlite.Insert | postgresql.Insert:
    """INSERT ... ON CONFLICT (columns) DO NOTHING, spelled for the database in use.

    Rows that would break the unique constraint on `conflict_columns` (with none named:
    any unique constraint) are skipped, not raised, so bulk loads and racing requests
    need neither a query per row nor a savepoint; add `.returning(...)` to learn which
    rows went in.
    """
    columns = list(conflict_columns) or None
    if dialect_name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=columns)
    if dialect_name == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=columns)
    raise NotImplementedError(f"drip supports SQLite and PostgreSQL, not {dialect_name}")


def bulk_insert_ignoring_conflicts(
    connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]], conflict_column: str
) -> None:
    """Insert many rows at DBAPI speed (executemany), skipping those that conflict.

    SQLAlchemy's own executemany spends most of its time preparing each parameter of
    each row; here each column's bind processor (the same conversion SQLAlchemy would
    apply, so SQLite's datetime strings compare as usual) runs once per distinct value
    object, and the driver gets plain tuples. All rows must have the same keys.
    """
    if not rows:
        return
    names = list(rows[0])
    dialect = connection.dialect
    placeholder = "?" if dialect.paramstyle == "qmark" else "%s"
    preparer = dialect.identifier_preparer
    sql = (
        f"INSERT INTO {preparer.format_table(table)} "
        f"({', '.join(preparer.quote(name) for name in names)}) "
        f"VALUES ({', '.join(placeholder for _ in names)}) "
        f"ON CONFLICT ({preparer.quote(conflict_column)}) DO NOTHING"
    )
    get = itemgetter(*names)
    converters = [
        (index, _memoised(processor))
        for index, name in enumerate(names)
        if (processor := _bind_processor(table, name, dialect)) is not None
    ]
    data = []
    for row in rows:
        values = list(get(row)) if len(names) > 1 else [get(row)]
        for index, convert in converters:
            values[index] = convert(values[index])
        data.append(tuple(values))
    connection.exec_driver_sql(sql, data)


def _bind_processor(table: Table, column: str, dialect: Dialect) -> Callable[[Any], Any] | None:
    # The dialect's own implementation of the type, as SQLAlchemy's compiler uses it:
    # the generic type's processor would leave SQLite's datetimes to the driver.
    return table.c[column].type.dialect_impl(dialect).bind_processor(dialect)


def _memoised(processor: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`processor`, remembering its last input: a value shared by every row (the import's
    instant, a status) is converted once, not once per row."""
    last: list[Any] = [object(), None]

    def convert(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, processor(value)
        return last[1]

    return convert
