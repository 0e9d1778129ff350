"""An invalid report is always hidden: fix the rows the demo and the importer left visible, then hold it.

Revision ID: invalid_reports_hidden
Revises: 0007
"""

from alembic import op

revision = "invalid_reports_hidden"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE reports SET hidden = true WHERE status = 'invalid' AND NOT hidden")
    op.create_check_constraint(op.f("ck_reports_invalid_hidden"), "reports", "status <> 'invalid' OR hidden")


def downgrade() -> None:
    op.drop_constraint("ck_reports_invalid_hidden", "reports", type_="check")
