"""The schema version this code knows (kept free of imports, for the fast start path)."""

# The newest migration this code knows. A test checks it against the migration scripts.
SCHEMA_HEAD = "0004_staged_suggestions"
