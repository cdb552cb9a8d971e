"""One module per exchange format, each a reader (and, where the format allows, a writer)."""
