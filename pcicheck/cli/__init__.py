"""The command line: thin. Parse options, call the workflow, print, choose the exit code.

main.py assembles the app; one module per command or command group; options.py holds the options
several commands share, output.py what the CLI prints.
"""

from pcicheck.cli.main import app, main

__all__ = ["app", "main"]
