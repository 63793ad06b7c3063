"""No secret has a usable default, and a weak one stops the API: too short, or a placeholder."""

import pytest
from pydantic import ValidationError

from services.api.settings import ApiSettings
from tests.support.accounts import LINK_SIGNING_KEY

STRONG_PASSWORD = "k3p-Wq9z-Tn4v-Lx"
STRONG_TOKEN = "Zr8vN2qLw5XcT7mPb4YhK9sD3fGj6RaU"


def _settings(**values: str) -> ApiSettings:
    return ApiSettings(_env_file=None, **{"link_signing_key": LINK_SIGNING_KEY, **values})  # type: ignore[arg-type]


def test_without_any_admin_setting_no_account_and_no_token_exist() -> None:
    settings = _settings()
    assert settings.reportflow_admin_email is None
    assert settings.reportflow_admin_password is None
    assert settings.reportflow_admin_token is None
    assert settings.metrics_token is None


@pytest.mark.parametrize(
    "password", ["short", "changeme-changeme", "please-change-me-now", "aaaaaaaaaaaaaaaa"]
)
def test_a_weak_admin_password_is_refused_without_being_echoed(password: str) -> None:
    with pytest.raises(ValidationError) as refused:
        _settings(reportflow_admin_email="root@example.com", reportflow_admin_password=password)
    assert "reportflow_admin_password" in str(refused.value)
    assert password not in str(refused.value)


@pytest.mark.parametrize("field", ["reportflow_admin_token", "metrics_token"])
def test_a_token_needs_32_characters(field: str) -> None:
    admin = {
        "reportflow_admin_email": "root@example.com",
        "reportflow_admin_password": STRONG_PASSWORD,
    }
    with pytest.raises(ValidationError, match=field):
        _settings(**admin, **{field: STRONG_TOKEN[:31]})
    assert _settings(**admin, **{field: STRONG_TOKEN})


def test_the_admin_token_needs_the_admin_it_acts_as() -> None:
    with pytest.raises(ValidationError, match="REPORTFLOW_ADMIN_EMAIL"):
        _settings(reportflow_admin_token=STRONG_TOKEN)


def test_an_https_public_url_makes_the_session_cookie_secure() -> None:
    assert _settings(public_base_url="https://reports.example.com").secure_cookies
    assert not _settings(public_base_url="http://localhost:8000").secure_cookies
