"""`make run`'s generated admin: strong enough for the API, private to its owner, reused."""

import stat
from pathlib import Path

from cryptography.fernet import Fernet

from deploy.local_admin import ConfiguredAdmin, local_admin, local_channel_key, write_private
from services.api.settings import ApiSettings
from shared.settings import DownloadLinkSettings


def test_the_generated_admin_is_accepted_by_the_api_kept_private_and_reused(
    tmp_path: Path,
) -> None:
    path = tmp_path / ".reportflow" / "local-admin.env"
    first = local_admin(path)
    settings = ApiSettings(_env_file=None, **{name.lower(): v for name, v in first.items()})  # type: ignore[arg-type]
    assert settings.reportflow_admin_token is not None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert local_admin(path) == first


def test_an_incomplete_file_is_replaced_by_a_new_admin(tmp_path: Path) -> None:
    path = tmp_path / "local-admin.env"
    path.write_text("REPORTFLOW_ADMIN_EMAIL=admin@example.com\n")
    assert local_admin(path)["REPORTFLOW_ADMIN_PASSWORD"]


def test_make_run_keeps_one_generated_channel_key(tmp_path: Path) -> None:
    path = tmp_path / "local-admin.env"
    configured = ConfiguredAdmin(channel_secrets_key=None)
    first = local_channel_key(path, configured)
    Fernet(first["CHANNEL_SECRETS_KEY"].encode())  # a valid key
    write_private(path, first)
    assert local_channel_key(path, configured) == first
    assert local_channel_key(path, ConfiguredAdmin(channel_secrets_key="configured")) == {}


def test_make_run_generates_a_link_signing_key_the_services_accept_and_keeps_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "local-admin.env"
    first = local_admin(path, with_admin=False)
    assert set(first) == {"LINK_SIGNING_KEY"}
    settings = DownloadLinkSettings(_env_file=None, link_signing_key=first["LINK_SIGNING_KEY"])
    assert settings.signing_key == first["LINK_SIGNING_KEY"]
    assert local_admin(path, with_admin=False) == first


def test_a_configured_signing_key_is_not_overridden_by_the_file(tmp_path: Path) -> None:
    path = tmp_path / "local-admin.env"
    assert "LINK_SIGNING_KEY" not in local_admin(path, with_signing_key=False)
