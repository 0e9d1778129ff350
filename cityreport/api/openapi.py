"""The OpenAPI 3 document, derived from the field descriptions that validate input (reports/schemas.py)."""

from __future__ import annotations

from typing import Any

from flask import current_app

from cityreport.reports import schemas
from cityreport.reports.schemas import Field


def field_schema(spec: Field) -> dict[str, Any]:
    schema: dict[str, Any]
    if spec.kind == "number":
        schema = {"type": "number"}
    elif spec.kind == "integer":
        schema = {"type": "integer"}
    else:
        schema = {"type": "string"}
        if spec.kind == "email":
            schema["format"] = "email"
        elif spec.kind == "datetime":
            schema["format"] = "date-time"
        elif spec.kind == "enum" and spec.choices:
            schema["enum"] = list(spec.choices)
        if spec.pattern:
            schema["pattern"] = spec.pattern
        if spec.min_length is not None:
            schema["minLength"] = spec.min_length
        if spec.max_length is not None:
            schema["maxLength"] = spec.max_length
    if spec.minimum is not None:
        schema["minimum"] = spec.minimum
    if spec.maximum is not None:
        schema["maximum"] = spec.maximum
    schema["description"] = spec.doc
    return schema


def body_schema(specs: tuple[Field, ...], *, photos: dict[str, Any]) -> dict[str, Any]:
    properties = {spec.name: field_schema(spec) for spec in specs}
    properties["photos"] = photos
    return {"type": "object", "required": [s.name for s in specs if s.required], "properties": properties}


def query_parameters(specs: tuple[Field, ...]) -> list[dict[str, Any]]:
    return [{"name": spec.name, "in": "query", "required": spec.required, "schema": field_schema(spec),
             "description": spec.doc} for spec in specs]


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
                    "parameters": query_parameters(schemas.LIST_FIELDS),
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
                        "multipart/form-data": {"schema": body_schema(schemas.REPORT_FIELDS,
                                                                      photos=multipart_photos)},
                        "application/json": {"schema": body_schema(schemas.REPORT_FIELDS, photos=json_photos)},
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
                    "parameters": query_parameters(schemas.NEARBY_FIELDS),
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
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {
                        "type": "object", "required": ["token", "answer"],
                        "properties": {"token": {"type": "string", "minLength": 1},
                                       "answer": {"type": "string", "enum": ["fixed", "not_fixed", "dont_know"]},
                                       "rating": {"type": "integer", "minimum": 1, "maximum": 5, "nullable": True},
                                       "comment": {"type": "string", "maxLength": 2000, "nullable": True}}}}}},
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
                    "summary": "The monthly responsiveness indicators (DESIGN §5, definition version 1) of a "
                               "month: the city, each department and each category.",
                    "parameters": [{"name": "month", "in": "query", "required": True,
                                    "schema": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
                                    "description": "YYYY-MM, in the city's time zone."}],
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
