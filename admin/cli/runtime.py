"""What every command needs at hand: settings, and a database migrated to the head."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from drip.db import make_engine, session_factory, upgrade
from drip.settings import Settings, get_settings


@dataclass
class Runtime:
    settings: Settings

    @cached_property
    def engine(self) -> Engine:
        engine = make_engine(self.settings.database_url)
        upgrade(engine)  # an empty database gets its schema; a current one is left alone
        return engine

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return session_factory(self.engine)

    def close(self) -> None:
        """Release the database connections (use `with closing(runtime()) as rt:`)."""
        if "engine" in self.__dict__:  # only if a command opened it
            self.engine.dispose()


def runtime() -> Runtime:
    return Runtime(get_settings())
