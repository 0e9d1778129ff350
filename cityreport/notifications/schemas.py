"""What the notifications' forms and API accept (core/inputs.py): following, feeds, feedback after a fix.

A resident fills these in on a phone, so each field has a message in plain words for any problem.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from pydantic import Field

from cityreport.core.inputs import Choice, Email, Ident, Input, Integer, Number, Text
from cityreport.notifications.rules import FEEDBACK_ANSWERS

_EMAIL = _l("enter a valid e-mail address")
_LAT = _l("the latitude must be a number")
_LON = _l("the longitude must be a number")
_RADIUS = _l("the radius must be a whole number of metres")


class FollowReportForm(Input):
    malformed_status = 422
    messages = {"email": _EMAIL}

    email: Email


class FollowAreaForm(Input):
    """A place and a radius, or a named area; optionally one category (the ranges are the service's check)."""

    malformed_status = 422
    messages = {"email": _EMAIL, "lat": _LAT, "lon": _LON, "radius": _RADIUS,
                "area": _l("choose one of the listed areas"), "category": _l("choose one of the listed categories")}

    email: Email
    lat: Number() | None = None
    lon: Number() | None = None
    radius: Integer() | None = None
    area: Ident | None = None
    category: Ident | None = None


class AreaFeedQuery(Input):
    malformed_status = 422
    messages = {"lat": _LAT, "lon": _LON, "radius": _RADIUS}

    lat: Number() | None = None
    lon: Number() | None = None
    radius: Integer() | None = None
    category: Text(40) | None = None


class FeedbackAnswer(Input):
    """The answer to "is it really fixed?", from the page's form."""

    malformed_status = 422
    messages = {"answer": _l("choose yes, no or don't know"),
                "rating": _l("the rating must be a whole number from 1 to 5"),
                "comment": _l("the comment must be text of at most 2000 characters")}

    answer: Choice(*FEEDBACK_ANSWERS) = Field(description="Is it really fixed?")
    rating: Integer(1, 5) | None = Field(None, description="How well it was handled, 1 to 5.")
    comment: Text(2000, multiline=True) | None = Field(None, description="Anything to add (stays private).")


class FeedbackBody(FeedbackAnswer):
    """The same answer through the JSON API, with the token from the e-mail."""

    messages = {**FeedbackAnswer.messages, "token": _l("the token from the e-mail is required")}

    token: Text(200, min_length=1) = Field(description="The token from the e-mail's link.")
