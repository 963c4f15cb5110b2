"""Entry point for ``python -m journalgen``."""

from journalgen.cli import main

main(prog_name="journalgen")
