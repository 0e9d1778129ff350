"""intake: a partial GiST index on (category_id, location) of open reports for the nearby-duplicates lookup

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    # btree_gist is a trusted contrib extension: the database owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute("CREATE INDEX ix_reports_open_location ON reports USING gist (category_id, location) "
               "WHERE status IN ('new', 'acknowledged', 'in_progress') AND NOT hidden")


def downgrade():
    # The extension stays: dropping it could break objects other migrations or people made with it.
    op.execute("DROP INDEX IF EXISTS ix_reports_open_location")
