"""Storage: SQLAlchemy 2 tables, repositories and Alembic migrations; SQLite by default, PostgreSQL too."""
