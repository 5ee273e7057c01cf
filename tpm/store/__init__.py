"""Persistence: SQLModel tables, Alembic migrations, SQLite or MySQL, write-behind buffering."""
