"""indicators: an index for the monthly computation's "as of" status lookups

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_report_events_status_changes", "report_events", ["at", "report_id"],
                    postgresql_where=sa.text("to_status IS NOT NULL"))


def downgrade():
    op.drop_index("ix_report_events_status_changes", table_name="report_events")
