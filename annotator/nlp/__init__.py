"""Everything that imports spaCy: loading pipelines, suggesting spans, token alignment."""
