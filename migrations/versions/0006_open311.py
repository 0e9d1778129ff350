"""open311: per-category service attributes, and what an Open311 POST carried (token, key, media_url)

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "service_attributes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("datatype", sa.String(length=20), nullable=False),
        sa.Column("description_ro", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("datatype_description_ro", sa.String(length=300), server_default="", nullable=False),
        sa.Column("datatype_description_en", sa.String(length=300), server_default="", nullable=False),
        sa.Column("required", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("position", sa.Integer(), server_default="1", nullable=False),
        sa.Column("values", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("datatype IN ('string', 'text', 'number', 'datetime', 'singlevaluelist', "
                           "'multivaluelist')", name=op.f("ck_service_attributes_datatype")),
        sa.CheckConstraint("position >= 0", name=op.f("ck_service_attributes_position")),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"], ondelete="CASCADE",
                                name=op.f("fk_service_attributes_category_id_categories")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_attributes")),
        sa.UniqueConstraint("category_id", "code", name="uq_service_attributes_category_code"),
    )
    op.create_index(op.f("ix_service_attributes_category_id"), "service_attributes", ["category_id"])
    op.create_table(
        "open311_submissions",
        sa.Column("report_id", sa.BigInteger(), nullable=False),
        sa.Column("token", sa.String(length=40), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=True),
        sa.Column("media_url", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], ondelete="CASCADE",
                                name=op.f("fk_open311_submissions_report_id_reports")),
        sa.ForeignKeyConstraint(["api_key_id"], ["api_keys.id"], ondelete="SET NULL",
                                name=op.f("fk_open311_submissions_api_key_id_api_keys")),
        sa.PrimaryKeyConstraint("report_id", name=op.f("pk_open311_submissions")),
        sa.UniqueConstraint("token", name=op.f("uq_open311_submissions_token")),
    )
    op.create_index(op.f("ix_open311_submissions_api_key_id"), "open311_submissions", ["api_key_id"])


def downgrade():
    op.drop_index(op.f("ix_open311_submissions_api_key_id"), table_name="open311_submissions")
    op.drop_table("open311_submissions")
    op.drop_index(op.f("ix_service_attributes_category_id"), table_name="service_attributes")
    op.drop_table("service_attributes")
