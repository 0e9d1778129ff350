"""The OpenAPI document is derived from the input schemas, and the API keeps to it under generated input."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cityreport.reports import schemas

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture()
def city(make_jurisdiction, make_category, create_report):
    make_jurisdiction()
    category = make_category(code="pothole")
    for i in range(3):
        create_report(category=category, lat=46.76 + i * 0.001, lon=23.61, name="Private Person")
    return category


def test_document_describes_the_fields_the_intake_validates(client):
    document = client.get("/api/openapi.json").json
    assert document["openapi"].startswith("3.")
    body = document["paths"]["/api/v1/reports"]["post"]["requestBody"]["content"]
    multipart = body["multipart/form-data"]["schema"]
    assert set(multipart["properties"]) == set(schemas.ReportInput.model_fields) | {"photos"}
    assert set(multipart["required"]) == {"category", "description"}
    assert multipart["properties"]["description"]["maxLength"] == 5000
    assert multipart["properties"]["lat"]["minimum"] == -90
    assert multipart["properties"]["photos"]["maxItems"] == 5
    assert body["application/json"]["schema"]["properties"]["photos"]["items"]["format"] == "byte"
    listed = {p["name"] for p in document["paths"]["/api/v1/reports"]["get"]["parameters"]}
    assert listed == set(schemas.ReportListQuery.model_fields)


def test_api_keeps_to_its_document_under_generated_requests(app, client, city):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 8
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            # The WSGI transport does not undo Content-Encoding; compression is tested with the static files.
            case.call_and_validate(checks=CHECKS, headers={"Accept-Encoding": "identity"})

        run()
