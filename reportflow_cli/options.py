"""Arguments and options several commands share, so they read the same everywhere."""

from typing import Annotated

import typer

from reportflow_cli.lookup import report_names

ReportName = Annotated[
    str, typer.Argument(metavar="NAME", help="The report's name.", autocompletion=report_names)
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON, for scripts.")]
