"""Database URLs are secrets: settings output hides their passwords, the accessors do not."""

import pytest
from pydantic import ValidationError

from services.api.settings import ApiSettings
from shared.settings import DatabaseSettings
from tests.support.accounts import LINK_SIGNING_KEY

RECORD_URL = "postgresql+asyncpg://reportflow:rec0rd-pw@db:5432/reportflow"
SOURCE_URL = "postgres://reader:s0urce-pw@warehouse:5432/sales"


def test_repr_str_and_model_dump_hide_both_passwords() -> None:
    settings = ApiSettings(
        database_url=RECORD_URL, data_source_url=SOURCE_URL, link_signing_key=LINK_SIGNING_KEY
    )
    for shown in (repr(settings), str(settings), str(settings.model_dump())):
        assert "rec0rd-pw" not in shown
        assert "s0urce-pw" not in shown


def test_accessors_give_plain_postgresql_urls() -> None:
    settings = DatabaseSettings(database_url=RECORD_URL, data_source_url=SOURCE_URL)
    assert settings.database_dsn == "postgresql://reportflow:rec0rd-pw@db:5432/reportflow"
    assert settings.data_source_dsn == "postgresql://reader:s0urce-pw@warehouse:5432/sales"


@pytest.mark.parametrize("unset", [None, ""])
def test_the_data_source_never_falls_back_to_the_system_of_record(unset: str | None) -> None:
    settings = DatabaseSettings(database_url=RECORD_URL, data_source_url=unset)
    assert settings.data_source_dsn is None


def test_a_refused_url_is_not_echoed_in_the_error() -> None:
    with pytest.raises(ValidationError) as refused:
        DatabaseSettings(database_url="reportflow:rec0rd-pw@db/reportflow")
    assert "not a database URL" in str(refused.value)
    assert "rec0rd-pw" not in str(refused.value)
