"""Pure input checks: text PostgreSQL cannot store, and recipient addresses against the list."""

import pytest

from services.api.input_guard import first_unencodable, text_problem
from services.api.report_rules import InvalidRecipient, normalized_recipient
from shared.settings import RecipientSettings

LISTED = frozenset({"corp.local", "example.com"})


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("plain", None),
        ("emoji 😀 and ü", None),
        ("\ufffd replacement character", None),
        ("a\x00b", "NUL"),
        ("a\ud800b", "U+D800"),
        ("a\udfffb", "U+DFFF"),
    ],
)
def test_text_problem_names_what_cannot_be_stored(text: str, problem: str | None) -> None:
    found = text_problem(text)
    assert found is None if problem is None else problem in (found or "")


def test_the_first_unencodable_string_is_located_in_nested_json() -> None:
    body = {"ok": "fine", "list": ["a", {"deep": ["b", "c\ud800"]}], "later": "\x00"}
    found = first_unencodable(body, ("body",))
    assert found is not None
    assert found[0] == ("body", "list", 1, "deep", 1)


def test_a_bad_key_is_located_by_a_printable_name() -> None:
    found = first_unencodable({"k\ud800": 1}, ("body",))
    assert found is not None
    assert found[0] == ("body", "k\\ud800")


def test_clean_json_has_nothing_to_report() -> None:
    assert first_unencodable({"a": [1, 2.5, None, True, "x"]}, ("body",)) is None


def _settings(allowed: frozenset[str]) -> RecipientSettings:
    return RecipientSettings(_env_file=None, allowed_recipient_domains=allowed)


@pytest.mark.parametrize(
    ("address", "allowed", "stored"),
    [
        ("Someone@Example.COM", frozenset(), "Someone@example.com"),
        ("ops@Corp.Local", LISTED, "ops@corp.local"),
        ("finance@example.com", LISTED, "finance@example.com"),
    ],
)
def test_accepted_recipients_are_stored_normalized(
    address: str, allowed: frozenset[str], stored: str
) -> None:
    assert normalized_recipient(address, _settings(allowed)) == stored


@pytest.mark.parametrize(
    ("address", "allowed", "reason"),
    [
        ("ops@corp.local", frozenset(), "special-use"),
        ("someone@elsewhere.org", LISTED, "ALLOWED_RECIPIENT_DOMAINS"),
        ("someone@sub.example.com", LISTED, "ALLOWED_RECIPIENT_DOMAINS"),
        ("two..dots@corp.local", LISTED, "not a valid email address"),
        ("no-at-sign", frozenset(), "not a valid email address"),
        ("Name <a@example.com>", frozenset(), "not a valid email address"),
    ],
)
def test_refused_recipients_say_why(address: str, allowed: frozenset[str], reason: str) -> None:
    with pytest.raises(InvalidRecipient, match=reason):
        normalized_recipient(address, _settings(allowed))
