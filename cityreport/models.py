"""Imports every domain model so that Alembic and the app see the whole schema."""

from cityreport.core.models import Outbox
from cityreport.departments.models import Category, Department
from cityreport.indicators.models import IndicatorSnapshot
from cityreport.media.models import Photo
from cityreport.notifications.models import Feedback, Subscription
from cityreport.open311.models import ApiKey
from cityreport.places.models import Address, BasemapState, MapFeature, ReportPlace, Street, StreetRegister  # noqa: F401
from cityreport.reports.models import Report, ReportEvent
from cityreport.routing.models import Jurisdiction, ServiceArea, ServiceAreaPiece
from cityreport.staff.models import (
           ResponseTemplate,  # noqa: F401  (and the queue's partial indexes)
           StaffUser,
)

__all__ = ["ApiKey", "Category", "Department", "Feedback", "IndicatorSnapshot", "Jurisdiction", "Outbox",
           "Photo", "Report", "ReportEvent", "ServiceArea", "ServiceAreaPiece", "StaffUser", "Subscription"]
