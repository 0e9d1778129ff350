"""One way to read input: every form, query string and JSON body is a pydantic model (docs/architecture.md).

A package declares what it accepts as a subclass of ``Input``, with the field types below. Then

- ``read(Model, request.form)`` (or ``request.args``, or a JSON object) checks every field and returns the
  model, or raises ``errors.ValidationError`` naming each bad field in the request's language: 400 when a
  value cannot be read as its type (a latitude that is not a number), 422 when it can but is not
  acceptable (out of range, too long, not one of the choices, missing);
- ``query_parameters(Model)`` and ``body_schema(Model)`` give the same model as OpenAPI 3.0 for
  /api/openapi.json, so the document cannot drift from what the server accepts.

Forms and JSON are read alike: an empty field counts as absent, "46,77" is a number (a Romanian keyboard
writes decimal commas), a checkbox is on when it is sent. Checks that need the database (does this
category exist?) are the services', not the models'.
"""

from __future__ import annotations

import math
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any, ClassVar, Literal, TypeVar

import pydantic
from flask_babel import gettext as _
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    TypeAdapter,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from cityreport.core.contact import EMAIL_MAX, PHONE_MAX, normalise_email, normalise_phone
from cityreport.errors import ValidationError

M = TypeVar("M", bound="Input")

# PostgreSQL text cannot hold NUL; other C0 controls have no place in what people type either.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MALFORMED, UNACCEPTABLE = "malformed", "unacceptable"
# Form values that switch a checkbox on.
ON = frozenset({"1", "true", "on", "yes"})


class Input(BaseModel):
    """What one form, query string or JSON body accepts. Subclasses declare fields with the types below.

    ``messages`` replaces the generic message of any problem with a field by a friendlier one, for
    forms a resident fills in ("choose yes, no or don't know" rather than "must be one of: …").
    ``malformed_status`` is the status of a value that cannot be read at all (400 for APIs; the HTML
    forms answer 422 for every problem, as they re-show the form).
    """

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True, str_strip_whitespace=False)

    messages: ClassVar[Mapping[str, Any]] = {}  # field name -> lazy_gettext message
    malformed_status: ClassVar[int] = 400
    missing_is_malformed: ClassVar[bool] = False  # a query without its one required parameter is malformed
    refusal_status: ClassVar[int | None] = None  # one status for every problem (a query string that a page reads)
    refusal_message: ClassVar[Any] = None  # lazy_gettext message of the whole refusal, or None


# ---- reading ------------------------------------------------------------------------------------

def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _is_list(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return any(_is_list(arg) for arg in typing.get_args(annotation) if arg is not type(None))
    return origin is list


def _absent(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def values_of(model: type[Input], data: Any) -> dict[str, Any]:
    """The fields ``model`` reads, taken from a MultiDict (form, query string) or a mapping (JSON)."""
    values: dict[str, Any] = {}
    if data is None:
        return values
    for name, info in model.model_fields.items():
        key = info.alias or name
        if _is_list(info.annotation) and hasattr(data, "getlist"):
            raw: Any = [item for item in data.getlist(key) if not _absent(item)]
            if not raw:
                continue
        else:
            raw = data.get(key)
            if _absent(raw):
                continue
        values[key] = raw
    return values


@dataclass
class Checked:
    """Each field read on its own: the values that passed, and the problem of each one that did not."""

    values: dict[str, Any] = field(default_factory=dict)  # by field name
    fields: dict[str, str] = field(default_factory=dict)  # by name on the wire
    malformed: bool = False

    def fail(self, name: str, message: str, *, malformed: bool = False) -> None:
        self.fields.setdefault(name, message)
        self.malformed = self.malformed or malformed


@cache
def _adapter(model: type[Input], name: str) -> TypeAdapter:
    info = model.model_fields[name]
    return TypeAdapter(Annotated[info.annotation, *info.metadata]) if info.metadata else TypeAdapter(info.annotation)


def check(model: type[Input], data: Any, *, context: Mapping[str, Any] | None = None) -> Checked:
    """Read every field of ``model`` from ``data`` on its own, so that a caller with checks of its own (the
    database's) can name every problem of a request at once rather than stop at the model's.

    ``context`` reaches the field validators (``info.context``), with the field's name under "field"."""
    _require_mapping(data)
    raw = values_of(model, data)
    checked = Checked()
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key not in raw:
            if info.is_required():
                checked.fail(key, _message(model, key, _("is required")), malformed=model.missing_is_malformed)
            else:
                checked.values[name] = info.get_default(call_default_factory=True)
            continue
        try:
            checked.values[name] = _adapter(model, name).validate_python(raw[key],
                                                                         context={**(context or {}), "field": key})
        except pydantic.ValidationError as exc:
            kind, message = _translate(exc.errors(include_url=False)[0])
            checked.fail(key, _message(model, key, message), malformed=kind == MALFORMED)
    return checked


def read(model: type[M], data: Any, *, context: Mapping[str, Any] | None = None) -> M:
    """``data`` checked against ``model``; raises ValidationError naming every bad field."""
    checked = check(model, data, context=context)
    if checked.fields:
        raise refusal(model, checked)
    try:
        return model.model_validate(checked.values, context=dict(context or {}))
    except pydantic.ValidationError as exc:  # a check across fields (a model validator) refused it
        for error in exc.errors(include_url=False):
            name = (error.get("ctx") or {}).get("field") or (str(error["loc"][0]) if error["loc"] else "body")
            kind, message = _translate(error)
            checked.fail(name, _message(model, name, message), malformed=kind == MALFORMED)
        raise refusal(model, checked) from None


def refusal(model: type[Input], checked: Checked) -> ValidationError:
    message = str(model.refusal_message) if model.refusal_message is not None else None
    status = model.refusal_status or (model.malformed_status if checked.malformed else 422)
    return ValidationError(message, fields=dict(checked.fields), status=status)


def _require_mapping(data: Any) -> None:
    if data is not None and not hasattr(data, "get"):
        raise ValidationError(_("The request body must be a JSON object."), status=400,
                              fields={"body": _("must be a JSON object")})


def _message(model: type[Input], name: str, message: str) -> str:
    override = model.messages.get(name)
    return str(override) if override is not None else message


def _translate(error: Mapping[str, Any]) -> tuple[str, str]:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind in (MALFORMED, UNACCEPTABLE):
        return kind, ctx["message"]
    if kind == "missing":
        return UNACCEPTABLE, _("is required")
    if kind in ("string_too_long", "too_long"):
        return UNACCEPTABLE, _("must be at most %(count)d characters", count=ctx["max_length"])
    if kind in ("string_too_short", "too_short"):
        return UNACCEPTABLE, _("must be at least %(count)d characters", count=ctx["min_length"])
    if kind in ("literal_error", "enum"):
        choices = ctx.get("expected", "").replace("'", "").replace(" or ", ", ")
        return UNACCEPTABLE, _("must be one of: %(choices)s", choices=choices)
    if kind.endswith(("_type", "_parsing")):
        return MALFORMED, _("is not valid")
    return UNACCEPTABLE, _("is not valid")


def malformed(message: str, *, field: str | None = None) -> PydanticCustomError:
    """A value that cannot be read as its type (400). A check across fields names the ``field`` at fault."""
    return PydanticCustomError(MALFORMED, "{message}", {"message": message, "field": field})


def unacceptable(message: str, *, field: str | None = None) -> PydanticCustomError:
    """A value that can be read but is not acceptable (422)."""
    return PydanticCustomError(UNACCEPTABLE, "{message}", {"message": message, "field": field})


# ---- field types --------------------------------------------------------------------------------

def _text(value: Any, *, multiline: bool = False) -> str:
    if not isinstance(value, str):
        raise malformed(_("must be text"))
    if CONTROL_RE.search(value):
        raise malformed(_("contains characters that are not allowed"))
    value = value.strip()
    return value.replace("\r\n", "\n") if multiline else value


def Text(max_length: int, *, min_length: int | None = None, multiline: bool = False) -> Any:
    """Text a person typed, trimmed; ``multiline`` keeps line breaks (as \\n)."""
    schema: dict[str, Any] = {"type": "string", "maxLength": max_length}
    if min_length is not None:
        schema["minLength"] = min_length
    return Annotated[str, BeforeValidator(lambda v: _text(v, multiline=multiline)),
                     StringConstraints(max_length=max_length, min_length=min_length), WithJsonSchema(schema)]


def _email(value: str) -> str:
    address = normalise_email(value)
    if address is None:
        raise unacceptable(_("is not a valid e-mail address"))
    return address


def _phone(value: str) -> str:
    number = normalise_phone(value)
    if number is None:
        raise unacceptable(_("is not a valid phone number"))
    return number


# An e-mail address (lower-cased) and a phone number, by the one rule of core/contact.py.
Email = Annotated[str, BeforeValidator(_text), StringConstraints(max_length=EMAIL_MAX), AfterValidator(_email),
                  WithJsonSchema({"type": "string", "format": "email", "maxLength": EMAIL_MAX})]
Phone = Annotated[str, BeforeValidator(_text), StringConstraints(max_length=PHONE_MAX), AfterValidator(_phone),
                  WithJsonSchema({"type": "string", "maxLength": PHONE_MAX, "pattern": r"^\+?[0-9 ()./-]+$"})]


def _fmt(number: float | None) -> str:
    return "" if number is None else f"{number:g}"


def _range(low: float | None, high: float | None) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if (low is not None and value < low) or (high is not None and value > high):
            if low is not None and high is not None:
                raise unacceptable(_("must be between %(low)s and %(high)s", low=_fmt(low), high=_fmt(high)))
            if low is not None:
                raise unacceptable(_("must be at least %(n)s", n=_fmt(low)))
            raise unacceptable(_("must be at most %(n)s", n=_fmt(high)))
        return value
    return check


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise malformed(_("must be a number"))
    if isinstance(value, str):
        try:
            number = float(value.strip().replace(",", "."))
        except ValueError:
            raise malformed(_("must be a number")) from None
    elif isinstance(value, int | float):
        number = float(value)
    else:
        raise malformed(_("must be a number"))
    if not math.isfinite(number):
        raise malformed(_("must be a number"))
    return number


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise malformed(_("must be a whole number"))
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            raise malformed(_("must be a whole number")) from None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise malformed(_("must be a whole number"))


def _bounds_schema(kind: str, low: float | None, high: float | None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": kind}
    if low is not None:
        schema["minimum"] = low
    if high is not None:
        schema["maximum"] = high
    return schema


def Number(minimum: float | None = None, maximum: float | None = None) -> Any:
    """A decimal number; a decimal comma is read as a point."""
    return Annotated[float, BeforeValidator(_number), AfterValidator(_range(minimum, maximum)),
                     WithJsonSchema(_bounds_schema("number", minimum, maximum))]


def Integer(minimum: int | None = None, maximum: int | None = None) -> Any:
    return Annotated[int, BeforeValidator(_integer), AfterValidator(_range(minimum, maximum)),
                     WithJsonSchema(_bounds_schema("integer", minimum, maximum))]


# The id of a row another field refers to (whether it exists is the service's question).
Ident = Integer(minimum=1, maximum=2**63 - 1)


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ON


# A checkbox: on when sent with a true-ish value, off when left out.
Flag = Annotated[bool, BeforeValidator(_flag), WithJsonSchema({"type": "boolean"})]


def Choice(*choices: str) -> Any:
    """One of ``choices``."""
    return Annotated[Literal[choices], BeforeValidator(lambda v: _text(v)),  # type: ignore[valid-type]
                     WithJsonSchema({"type": "string", "enum": list(choices)})]


def _datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise malformed(_("must be a date and time in ISO 8601 form"))
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise malformed(_("must be a date and time in ISO 8601 form")) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# A moment in ISO 8601; one without an offset is read as UTC.
DateTime = Annotated[datetime, BeforeValidator(_datetime), WithJsonSchema({"type": "string", "format": "date-time"})]


# ---- the OpenAPI document -----------------------------------------------------------------------

def _openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """A property's JSON Schema as OpenAPI 3.0 has it: an optional value is just left out, not null."""
    variants = schema.get("anyOf")
    if variants:
        concrete = [v for v in variants if v.get("type") != "null"]
        if len(concrete) == 1:
            schema = {**{k: v for k, v in schema.items() if k != "anyOf"}, **concrete[0]}
    return {k: v for k, v in schema.items() if k not in ("title", "default")}


def field_schemas(model: type[Input]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Each field's OpenAPI schema (by its name on the wire), and the names of the required ones."""
    document = model.model_json_schema(by_alias=True, mode="validation")
    properties = {name: _openapi(schema) for name, schema in document.get("properties", {}).items()}
    return properties, list(document.get("required", []))


def query_parameters(model: type[Input]) -> list[dict[str, Any]]:
    properties, required = field_schemas(model)
    return [{"name": name, "in": "query", "required": name in required, "schema": schema,
             "description": schema.get("description", "")} for name, schema in properties.items()]


def body_schema(model: type[Input], **extra: dict[str, Any]) -> dict[str, Any]:
    properties, required = field_schemas(model)
    properties.update(extra)
    return {"type": "object", "required": required, "properties": properties}
