"""Schemathesis against the served OpenAPI document: no 5xx, every response conforms to its schema."""

from __future__ import annotations

import atexit
import shutil
import tempfile

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from calcinosis import load_kb
from calcinosis.web.app import create_app
from calcinosis.web.settings import Settings

# Not checked: "schema-valid data is accepted". A case valid against the JSON Schema may still be
# refused with located issues (an unknown vocabulary term, a unit that does not fit its test, an
# onset after the patient's age): the reader checks more than a schema can say, on purpose.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]

_REGISTRY = tempfile.mkdtemp(prefix="calcinosis-fuzz-")  # never the user's own registry
atexit.register(shutil.rmtree, _REGISTRY, ignore_errors=True)  # built at import, for the schema: gone at exit
schema = schemathesis.openapi.from_asgi(
    "/api/v1/openapi.json", create_app(Settings(database_url=f"sqlite:///{_REGISTRY}/registry.sqlite3"), kb=load_kb())
)


@schema.exclude(path="/api/v1/report").parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)


@schema.include(path="/api/v1/report").parametrize()
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_report_conforms(case: schemathesis.Case) -> None:
    """The PDF endpoint is slow (a rendering per call): fewer examples."""
    case.call_and_validate(checks=CHECKS)
