"""The database backends: SQLite always, PostgreSQL when HOTLINE_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import os

PG_URL = os.environ.get("HOTLINE_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgres"] if PG_URL else [])
