"""OpenAPI-driven fuzzing of the API (schemathesis): no request, valid or not, gets a server error."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from shadowfleet.api.app import create_app
from shadowfleet.store.catalog import refresh_catalog
from shadowfleet.store.lake import Store

TOKEN = "fuzz-token"


def fuzz_operations(api_schema: schemathesis.BaseSchema, headers: dict[str, str], examples: int) -> int:
    """Send generated requests to every operation; raise on the first server error. Returns the operations."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def fuzz(case: schemathesis.Case) -> None:
            response = case.call(headers=headers)
            case.validate_response(response, checks=[not_a_server_error])

        fuzz()
    return len(operations)


@pytest.fixture(scope="module")
def api_schema(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> schemathesis.BaseSchema:
    root = tmp_path_factory.mktemp("fuzz") / "store"
    shutil.copytree(demo_store, root, ignore=shutil.ignore_patterns("_simulation", "analyst.sqlite*"))
    refresh_catalog(Store(root))
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(root, token=TOKEN))


@pytest.mark.slow
def test_no_server_errors(api_schema: schemathesis.BaseSchema) -> None:
    # With the token, so the fuzzer reaches the write endpoints' own validation too.
    assert fuzz_operations(api_schema, {"Authorization": f"Bearer {TOKEN}"}, examples=40) >= 25


def test_the_fuzzer_finds_a_server_error() -> None:
    broken = FastAPI()

    @broken.get("/root")
    def root(of: int) -> dict[str, float]:
        return {"result": math.sqrt(of)}  # a 500 for every negative number

    # In process, the application's exception reaches the fuzzer (over HTTP it would be a 500).
    with pytest.raises(ValueError, match="math domain error"):
        fuzz_operations(schemathesis.openapi.from_asgi("/openapi.json", broken), {}, examples=200)
