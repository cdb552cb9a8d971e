"""SQLModel tables, engine and session setup, migrations and query functions."""
