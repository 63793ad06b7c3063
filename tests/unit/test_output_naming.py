"""Output file names are safe on any file system and say which report and when."""

from datetime import UTC, datetime

import pytest

from services.runner.naming import output_filename, safe_stem, templated_stem
from shared.message_templates.variables import RunFacts

WHEN = datetime(2024, 1, 15, 10, 30, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("report_name", "stem"),
    [
        ("Daily User Count", "Daily_User_Count"),
        ("../../etc/passwd", "etc_passwd"),
        ("Sales: Q1/Q2 (EU) ", "Sales_Q1_Q2_EU"),
        ("Ümsatz — März", "msatz_M_rz"),
        ("...", "report"),
        ("con\x00trol\r\nchars", "con_trol_chars"),
        ("x" * 300, "x" * 100),
    ],
)
def test_stem_keeps_only_safe_characters(report_name: str, stem: str) -> None:
    assert safe_stem(report_name) == stem


def test_filename_has_the_seed_format() -> None:
    assert (
        output_filename("Daily User Count", WHEN, "csv") == "Daily_User_Count_20240115_103005.csv"
    )


def test_later_attempts_get_a_numbered_suffix() -> None:
    assert output_filename("Daily", WHEN, "csv", attempt=3) == "Daily_20240115_103005_3.csv"


FACTS = RunFacts("Sales", None, "UTC", "SUCCESS", run_time=WHEN)


def test_a_templated_name_keeps_the_format_s_extension_and_is_unique_by_attempt() -> None:
    stem, note = templated_stem("sales_{{ macros.yesterday }}_{{ rows }}", FACTS, 7, 100)
    assert (stem, note) == ("sales_2024-01-14_7", None)
    assert output_filename("Sales", WHEN, "csv.gz", 1, stem) == "sales_2024-01-14_7.csv.gz"
    assert output_filename("Sales", WHEN, "csv.gz", 2, stem) == "sales_2024-01-14_7_2.csv.gz"


def test_a_template_that_fails_at_export_leaves_the_default_name_and_a_note() -> None:
    stem, note = templated_stem("{{ rows + none }}", FACTS, 7, 100)
    assert stem is None
    assert note is not None
    assert "file_name_template" in note
    assert templated_stem(None, FACTS, 7, 100) == (None, None)
