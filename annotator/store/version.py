"""The schema version this code knows (kept free of imports, for the fast start path)."""

# The newest migration this code knows. A test checks it against the migration scripts.
SCHEMA_HEAD = "0003_event_annotation_index"
