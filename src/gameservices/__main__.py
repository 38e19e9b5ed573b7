"""Run the command line: ``python -m gameservices``."""

from gameservices.cli import main

main()
