"""Schemathesis against the running API's own OpenAPI document, as the admin: every operation,
a bounded number of generated requests each, answers without a 5xx and as documented (status
code, content type, body schema)."""

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from requests.structures import CaseInsensitiveDict
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema

from tests.support.accounts import ADMIN_TOKEN, bearer
from tests.support.metrics import free_port
from tests.support.services import StartService

# About 30 operations × this many requests stays well under a minute on the shared machine.
EXAMPLES_PER_OPERATION = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def api_schema(start_service: StartService) -> OpenApiSchema:
    """The real API process on a port of its own, and the schema it serves."""
    port = free_port()
    start_service("api", API_HOST="127.0.0.1", API_PORT=str(port))
    return schemathesis.openapi.from_url(
        f"http://127.0.0.1:{port}/openapi.json", wait_for_schema=30
    )


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_without_a_server_error_and_as_documented(
    case: schemathesis.Case[Any],
) -> None:
    # Assigned, not updated in place: schemathesis sends a container only once it is replaced.
    case.headers = CaseInsensitiveDict({**case.headers, **bearer(ADMIN_TOKEN)})
    case.call_and_validate(checks=CHECKS, timeout=30)
