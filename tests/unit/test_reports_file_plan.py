"""Reading a reports file and planning its changes: pure, no API."""

from pathlib import Path
from typing import Any

import pytest

from reportflow_cli.definitions_commands import reports_yaml
from reportflow_cli.plan import PlanError, make_plan
from reportflow_cli.reports_file import ReportsFileError, load_definitions


def definitions_of(tmp_path: Path, text: str) -> Any:
    path = tmp_path / "reports.yaml"
    path.write_text(text)
    return load_definitions(path)


def stored(name: str, owner: str = "me", **fields: Any) -> dict[str, Any]:
    return {
        "id": f"id-{name}",
        "name": name,
        "description": None,
        "sql_query": "SELECT 1",
        "schedule_cron": None,
        "timezone": "UTC",
        "output_format": "CSV",
        "compression": "none",
        "is_active": True,
        "recipients": [],
        "notify_on": "ALWAYS",
        "csv_formula_guard": False,
        "owner_id": owner,
        **fields,
    }


def test_omitted_fields_take_the_api_defaults_so_a_minimal_file_matches(tmp_path: Path) -> None:
    definitions = definitions_of(
        tmp_path, "reports:\n  - name: A\n    sql_query: |\n      SELECT 1\n"
    )
    assert make_plan(definitions, [stored("A")]).is_empty


def test_white_space_the_api_normalizes_is_no_change(tmp_path: Path) -> None:
    text = 'reports:\n  - name: " A "\n    sql_query: SELECT 1\n    schedule_cron: "0  8 * * *"\n'
    plan = make_plan(definitions_of(tmp_path, text), [stored("A", schedule_cron="0 8 * * *")])
    assert plan.is_empty


def test_a_changed_field_is_the_only_difference(tmp_path: Path) -> None:
    text = "reports:\n  - name: A\n    sql_query: SELECT 1\n    is_active: false\n"
    (change,) = make_plan(definitions_of(tmp_path, text), [stored("A")]).changes
    assert (change.action, change.fields) == ("update", {"is_active": (True, False)})


def test_prune_deletes_only_the_owners_unnamed_reports(tmp_path: Path) -> None:
    definitions = definitions_of(tmp_path, "reports:\n  - name: A\n    sql_query: SELECT 1\n")
    reports = [stored("A"), stored("B"), stored("C", owner="someone else")]
    assert [c.name for c in make_plan(definitions, reports, prune_owner="me").changes] == ["B"]
    assert [c.name for c in make_plan(definitions, reports, prune_all=True).changes] == ["B", "C"]


def test_a_rename_onto_a_taken_name_is_refused(tmp_path: Path) -> None:
    text = "reports:\n  - name: B\n    renamed_from: A\n    sql_query: SELECT 1\n"
    with pytest.raises(PlanError, match="line 3: cannot rename 'A' to 'B'"):
        make_plan(definitions_of(tmp_path, text), [stored("A"), stored("B")])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "reports:\n  - name: A\n    sql_query: S\n    colour: red\n",
            ":4: unknown field 'colour'",
        ),
        ("reports:\n  - name: A\n    sql_query: S\n    is_active: yes please\n", ":4: is_active"),
        ("reports:\n  - name: A\n    sql_query: S\n    output_format: PDF\n", ":4: output_format"),
        ("reports:\n  - name: A\n    description: no sql\n", ":2: the report has no sql_query"),
        (
            "reports:\n  - {name: A, sql_query: S}\n  - {name: A, sql_query: S}\n",
            ":3: the name 'A'",
        ),
        ("reports: [\n", ":2:"),
        ("reportz: []\n", ":1: expected a mapping"),
    ],
)
def test_file_problems_name_their_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ReportsFileError, match=message):
        definitions_of(tmp_path, text)


AWKWARD_TEXT = [
    "SELECT 1  \nFROM x",  # trailing spaces inside
    "  indented\nsecond",
    "a\tb\nc",
    "x\n\n\ny",
    "ü €\n'quoted' \"double\" # not a comment",
    "a\r\nb",
    "ends with a newline\n",
    "*alias-looking & anchor-looking: yes",
    "${NOT_A_REFERENCE_WHEN_EXPORTED} and $${NEITHER}",
]


@pytest.mark.parametrize("text", AWKWARD_TEXT)
def test_an_exported_file_reads_back_as_the_same_definition(tmp_path: Path, text: str) -> None:
    report = stored("Awkward: name #1", description=text, sql_query="SELECT 1\n  -- two lines")
    exported = reports_yaml([report], "http://reportflow.test")
    assert make_plan(definitions_of(tmp_path, exported), [report]).is_empty


def test_write_only_channels_in_a_file_are_refused_at_their_line(tmp_path: Path) -> None:
    text = (
        "reports:\n"
        "  - name: Hooked\n"
        "    sql_query: SELECT 1\n"
        "    channels: [{type: webhook, url: 'https://hooks.example.com/x', secret: s}]\n"
    )
    with pytest.raises(ReportsFileError, match=r"reports.yaml:4: channels is write-only"):
        definitions_of(tmp_path, text)
