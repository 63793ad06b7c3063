"""Report SQL is trimmed of what COPY cannot wrap; empty SQL is refused."""

import pytest

from shared.sql_guard import InvalidReportSql, normalize_report_sql


@pytest.mark.parametrize(
    ("sql", "normalized"),
    [
        ("SELECT 1", "SELECT 1"),
        ("  SELECT 1 ;  ", "SELECT 1"),
        ("SELECT 1;;\n;", "SELECT 1"),
        ("SELECT ';'", "SELECT ';'"),
        ("SELECT 1 -- trailing comment", "SELECT 1 -- trailing comment"),
    ],
)
def test_trailing_semicolons_and_space_are_removed(sql: str, normalized: str) -> None:
    assert normalize_report_sql(sql) == normalized


@pytest.mark.parametrize("sql", ["", "   ", ";", " ; ;\n"])
def test_empty_sql_is_refused(sql: str) -> None:
    with pytest.raises(InvalidReportSql, match="empty"):
        normalize_report_sql(sql)
