"""The `reportflow` command: its subcommands, and one place where API errors become exit 2."""

import typer

from reportflow_cli import (
    definitions_commands,
    reports_commands,
    runs_commands,
    versions_commands,
)
from reportflow_cli.api import ApiError
from reportflow_cli.login import login
from reportflow_cli.output import fail

EXIT_API_ERROR = 2

app = typer.Typer(
    name="reportflow",
    help=(
        "ReportFlow from the terminal: list and run reports, follow runs, keep definitions as "
        "code.\n\nTalks to REPORTFLOW_URL (default http://localhost:8000) with REPORTFLOW_TOKEN, "
        "or the token `reportflow login` stored."
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
app.command()(login)
app.add_typer(reports_commands.app, name="reports")
app.command("run")(runs_commands.run_report)
app.command("runs")(runs_commands.list_runs)
app.command("cancel")(runs_commands.cancel_run)
app.command("resend")(runs_commands.resend_run)
app.command("export")(definitions_commands.export)
app.command("apply")(definitions_commands.apply)
app.command("versions")(versions_commands.list_versions)
app.command("restore")(versions_commands.restore_version)


def run() -> None:
    """The console script's entry point."""
    try:
        app()
    except ApiError as error:
        fail(str(error))
        raise SystemExit(EXIT_API_ERROR) from error
