"""Fixtures shared by every test package."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

# The real market data lives beside the repository (../shared/data); tests skip without it.
SHARED_DATA = Path(
    os.environ.get("TPM_SHARED_DATA")
    or (Path(__file__).resolve().parents[1] / ".." / "shared" / "data")
).resolve()

# MySQL/MariaDB tests run when TPM_TEST_MYSQL_URL names a server URL without a database, e.g.
# mysql+asyncmy://root@127.0.0.1:3306 ; with TPM_REQUIRE_MYSQL=1 (CI) they fail instead of skip.
MYSQL_URL = os.environ.get("TPM_TEST_MYSQL_URL", "")
REQUIRE_MYSQL = os.environ.get("TPM_REQUIRE_MYSQL") == "1"


@pytest.fixture
def shared_data() -> Path:
    """The folder of real data files; skips the test when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent")
    return SHARED_DATA


def _no_mysql(reason: str) -> None:
    if REQUIRE_MYSQL:
        pytest.fail(f"MySQL is required here (TPM_REQUIRE_MYSQL=1) but {reason}")
    pytest.skip(f"MySQL tests skipped: {reason}")


async def _mysql_database() -> AsyncIterator[str]:
    import asyncmy
    from sqlalchemy.engine import make_url

    if not MYSQL_URL:
        _no_mysql("TPM_TEST_MYSQL_URL is not set")
    url = make_url(MYSQL_URL)
    name = f"tpm_test_{uuid.uuid4().hex[:10]}"
    try:
        conn = await asyncmy.connect(
            host=url.host or "127.0.0.1",
            port=url.port or 3306,
            user=url.username or "root",
            password=url.password or "",
            connect_timeout=5,
        )
    except Exception as exc:
        _no_mysql(f"the server at {url.host}:{url.port} cannot be reached ({exc})")
    async with conn.cursor() as cur:
        await cur.execute(f"CREATE DATABASE {name}")
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        async with conn.cursor() as cur:
            await cur.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.close()


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database: a SQLite file, or a new MySQL database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'tpm.db'}"
        return
    async for url in _mysql_database():
        yield url
