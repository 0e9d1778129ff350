"""The OpenAPI 3 document of /api/v1, derived from the input models that validate each request
(core/inputs.py) and the output schemas beside the serializers.

It sits above the packages whose endpoints it describes (reports, routing, notifications, indicators),
and no package imports it.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from cityreport.core.inputs import body_schema, query_parameters
from cityreport.indicators.schemas import MonthQuery
from cityreport.notifications.schemas import FeedbackBody
from cityreport.reports import schemas


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {400: "Malformed input; `error.fields` names each bad field.",
            404: "Not found: no such public report, or that month has not been computed.",
            413: "The upload is too large.",
            410: "The feedback link was already used or has expired.",
            422: "Input that is well formed but not acceptable; `error.fields` names each bad field.",
            429: "Too many reports from this address; see `Retry-After`."}
    return {str(code): _json({"$ref": "#/components/schemas/Error"}, text[code]) for code in codes}


def document() -> dict[str, Any]:
    max_photos = current_app.config["PHOTO_MAX_COUNT"]
    multipart_photos = {"type": "array", "maxItems": max_photos,
                        "items": {"type": "string", "format": "binary"},
                        "description": "JPEG, PNG, WebP or HEIC photos."}
    json_photos = {"type": "array", "maxItems": max_photos, "items": {"type": "string", "format": "byte"},
                   "description": "Base64-encoded JPEG, PNG, WebP or HEIC photos."}
    report_ref = {"$ref": "#/components/schemas/Report"}
    return {
        "openapi": "3.0.3",
        "info": {"title": "CityReport API", "version": "1",
                 "description": "Report local problems to the city hall and follow what happens to them. "
                                "Responses never contain reporters' personal data."},
        "paths": {
            "/api/v1/reports": {
                "get": {
                    "operationId": "listReports",
                    "summary": "Public reports, newest first, cursor-paged.",
                    "parameters": query_parameters(schemas.ReportListQuery),
                    "responses": {"200": _json({"type": "object", "required": ["reports", "next_cursor"],
                                                "properties": {"reports": {"type": "array", "items": report_ref},
                                                               "next_cursor": {"type": "string", "nullable": True},
                                                               "next": {"type": "string", "nullable": True}}},
                                               "A page of reports."),
                                  **_errors(400, 422)},
                },
                "post": {
                    "operationId": "createReport",
                    "summary": "File a report.",
                    "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                    "schema": {"type": "string", "minLength": 8, "maxLength": 80},
                                    "description": "Same as the `idempotency_key` field."}],
                    "requestBody": {"required": True, "content": {
                        "multipart/form-data": {"schema": body_schema(schemas.ReportInput,
                                                                      photos=multipart_photos)},
                        "application/json": {"schema": body_schema(schemas.ReportInput, photos=json_photos)},
                    }},
                    "responses": {
                        "201": {**_json({"$ref": "#/components/schemas/Created"}, "Stored."),
                                "headers": {"Location": {"schema": {"type": "string"},
                                                         "description": "The report's API URL."}}},
                        **_errors(400, 413, 422, 429),
                    },
                },
            },
            "/api/v1/reports/{report_id}": {
                "get": {
                    "operationId": "getReport",
                    "summary": "One public report with its public timeline.",
                    "parameters": [{"name": "report_id", "in": "path", "required": True,
                                    "schema": {"type": "integer", "minimum": 1}}],
                    "responses": {"200": _json(report_ref, "The report."), **_errors(404)},
                },
            },
            "/api/v1/reports/nearby": {
                "get": {
                    "operationId": "nearbyReports",
                    "summary": "Open reports of a category near a point, nearest first.",
                    "parameters": query_parameters(schemas.NearbyQuery),
                    "responses": {"200": _json({"type": "object", "required": ["radius_m", "reports"],
                                                "properties": {"radius_m": {"type": "integer"},
                                                               "reports": {"type": "array", "items": report_ref}}},
                                               "Nearby open reports."),
                                  **_errors(400, 422)},
                },
            },
            "/api/v1/categories": {
                "get": {
                    "operationId": "listCategories",
                    "summary": "Active categories by group, with acknowledgement and resolution targets.",
                    "responses": {"200": _json({"type": "object", "required": ["groups"], "properties": {
                        "groups": {"type": "array", "items": {
                            "type": "object", "required": ["name", "categories"],
                            "properties": {"name": {"$ref": "#/components/schemas/LangPair"},
                                           "categories": {"type": "array",
                                                          "items": {"$ref": "#/components/schemas/Category"}}}}}}},
                        "Categories.")},
                },
            },
            "/api/v1/reports/{report_id}/feedback": {
                "post": {
                    "operationId": "answerFeedback",
                    "summary": "The reporter's answer to \"is it really fixed?\", with the token from the e-mail.",
                    "parameters": [{"name": "report_id", "in": "path", "required": True,
                                    "schema": {"type": "integer", "minimum": 1}}],
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": body_schema(FeedbackBody)}}},
                    "responses": {
                        "200": _json({"type": "object", "required": ["report_id", "answer"],
                                      "properties": {"report_id": {"type": "integer"},
                                                     "answer": {"type": "string"},
                                                     "rating": {"type": "integer", "nullable": True},
                                                     "report_status": {"type": "string", "nullable": True}}},
                                     "Stored; \"not_fixed\" reopens the report."),
                        **_errors(400, 404, 410, 422),
                    },
                },
            },
            "/api/v1/indicators": {
                "get": {
                    "operationId": "monthIndicators",
                    "summary": "The monthly responsiveness indicators (definition version 1, docs/indicators.md) "
                               "of a month: the city, each department and each category.",
                    "parameters": query_parameters(MonthQuery),
                    "responses": {
                        "200": _json({"type": "object",
                                      "required": ["month", "definition_version", "computed_at", "city",
                                                   "departments", "categories"],
                                      "properties": {"month": {"type": "string"},
                                                     "definition_version": {"type": "integer"},
                                                     "computed_at": {"type": "string", "format": "date-time"},
                                                     "city": {"type": "object"},
                                                     "departments": {"type": "array", "items": {"type": "object"}},
                                                     "categories": {"type": "array", "items": {"type": "object"}}}},
                                     "The month's snapshot."),
                        **_errors(400, 404),
                    },
                },
            },
            "/api/v1/areas": {
                "get": {
                    "operationId": "listAreas",
                    "summary": "Jurisdictions and service areas as a GeoJSON FeatureCollection.",
                    "responses": {"200": {"description": "GeoJSON.", "content": {"application/geo+json": {
                        "schema": {"type": "object", "required": ["type", "features"],
                                   "properties": {"type": {"type": "string", "enum": ["FeatureCollection"]},
                                                  "features": {"type": "array", "items": {"type": "object"}}}}}}}},
                },
            },
        },
        "components": {"schemas": {
            "Report": schemas.REPORT_SCHEMA,
            "Created": schemas.CREATED_SCHEMA,
            "Category": schemas.CATEGORY_SCHEMA,
            "LangPair": {"type": "object", "required": ["ro", "en"],
                         "properties": {"ro": {"type": "string"}, "en": {"type": "string"}}},
            "Error": schemas.ERROR_SCHEMA,
        }},
    }
