"""Run the command line with ``python -m annotator``."""

from annotator.cli import main

# Guarded: a spawned helper process imports the main module again, and must not re-run
# the command line.
if __name__ == "__main__":
    main()
