"""staff: response templates; partial indexes over open reports for the staff queue

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OPEN = sa.text("status IN ('new', 'acknowledged', 'in_progress')")


def upgrade():
    op.create_table(
        "response_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("text_ro", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"],
                                name=op.f("fk_response_templates_category_id_categories"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"],
                                name=op.f("fk_response_templates_department_id_departments"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response_templates")),
    )
    op.create_index(op.f("ix_response_templates_category_id"), "response_templates", ["category_id"])
    op.create_index(op.f("ix_response_templates_department_id"), "response_templates", ["department_id"])
    op.create_index("ix_reports_open_department_created", "reports", ["department_id", "created_at", "id"],
                    postgresql_where=OPEN)
    op.create_index("ix_reports_open_created", "reports", ["created_at", "id"], postgresql_where=OPEN)
    op.create_index("ix_reports_department_created", "reports", ["department_id", "created_at", "id"])
    op.create_index("ix_reports_open_department_category_status", "reports",
                    ["department_id", "category_id", "status", "created_at", "id"], postgresql_where=OPEN)
    op.create_index("ix_reports_open_category_status", "reports", ["category_id", "status", "created_at", "id"],
                    postgresql_where=OPEN)


def downgrade():
    op.drop_index("ix_reports_open_category_status", table_name="reports")
    op.drop_index("ix_reports_open_department_category_status", table_name="reports")
    op.drop_index("ix_reports_department_created", table_name="reports")
    op.drop_index("ix_reports_open_created", table_name="reports")
    op.drop_index("ix_reports_open_department_created", table_name="reports")
    op.drop_index(op.f("ix_response_templates_department_id"), table_name="response_templates")
    op.drop_index(op.f("ix_response_templates_category_id"), table_name="response_templates")
    op.drop_table("response_templates")
