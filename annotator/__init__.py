"""annotator: terminal-first named-entity annotation for news articles."""

__version__ = "0.1.0"
