"""intake: a partial GiST index for the nearby-duplicates lookup

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE INDEX ix_reports_open_location ON reports USING gist (location) "
               "WHERE status IN ('new', 'acknowledged', 'in_progress') AND NOT hidden")


def downgrade():
    op.execute("DROP INDEX IF EXISTS ix_reports_open_location")
