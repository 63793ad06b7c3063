"""`python -m reportflow_cli`, the same as the installed `reportflow` command."""

from reportflow_cli.main import run

run()
