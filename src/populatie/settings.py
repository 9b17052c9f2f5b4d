"""Settings from the environment (``POPULATIE_*``), read once through :func:`get_settings`.

The defaults make a fresh clone work with nothing configured: a SQLite file under ``var/``
and the shipped ``geodata/`` and ``config/`` folders of the checkout. PostgreSQL is one URL away
(``POPULATIE_DATABASE_URL=postgresql+psycopg://host/db``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POPULATIE_", env_file=".env", extra="ignore")

    var_dir: Path = Field(default=PROJECT_ROOT / "var", description="Working files: SQLite db")
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; empty means the SQLite file var/populatie.db",
    )
    data_dir: Path = Field(default=PROJECT_ROOT / "geodata", description="Shipped CBS data")
    config_dir: Path = Field(default=PROJECT_ROOT / "config", description="Region and model TOML")
    user: str = Field(default="cli", description="Who is recorded as running CLI commands")
    secret_key: str = Field(
        default="",
        description="Signs the pages' CSRF cookies; empty means one generated once and kept in "
        "the database",
    )
    session_url: str = Field(
        default="",
        description="Where page sign-in sessions live: empty means the database; "
        "redis://host:port/db means Redis",
    )

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'populatie.db').as_posix()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
