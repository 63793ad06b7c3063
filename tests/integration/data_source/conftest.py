"""Login roles of a test's own on the session's data source, with rights a test gives them."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest

from tests.support.sandbox import SandboxSource, probe_role

LoginRole = Callable[[str], AbstractAsyncContextManager[str]]


@pytest.fixture
def login_role(data_source: SandboxSource, run_id: str) -> LoginRole:
    """`async with login_role("GRANT SELECT, INSERT ON victims TO {role}") as url:`"""
    return lambda grants: probe_role(data_source, f"reportflow_test_{run_id}_probe", grants)
