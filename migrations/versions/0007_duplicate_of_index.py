"""Index reports.duplicate_of_id (deleting reports scanned the whole table per row)

Revision ID: 0007
Revises: 0006
"""
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(op.f("ix_reports_duplicate_of_id"), "reports", ["duplicate_of_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_reports_duplicate_of_id"), table_name="reports")
