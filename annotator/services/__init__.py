"""Operations that join readers, writers, spaCy and the store; the CLI and TUI call these."""
