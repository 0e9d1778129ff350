"""notifications: subscriptions (follow a report or an area, double opt-in)

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("role", sa.String(length=10), server_default="follower", nullable=False),
        sa.Column("report_id", sa.BigInteger(), nullable=True),
        sa.Column("center", Geometry(geometry_type="POINT", srid=4326, spatial_index=False), nullable=True),
        sa.Column("radius_m", sa.Integer(), nullable=True),
        sa.Column("service_area_id", sa.Integer(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("locale", sa.String(length=5), server_default="ro", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("confirm_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('report', 'area')", name=op.f("ck_subscriptions_kind")),
        sa.CheckConstraint("role IN ('follower', 'reporter')", name=op.f("ck_subscriptions_role")),
        sa.CheckConstraint(
            "(kind = 'report' AND report_id IS NOT NULL) OR (kind = 'area' AND report_id IS NULL AND "
            "((center IS NOT NULL AND radius_m BETWEEN 50 AND 5000) OR service_area_id IS NOT NULL))",
            name=op.f("ck_subscriptions_target")),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"],
                                name=op.f("fk_subscriptions_category_id_categories"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"],
                                name=op.f("fk_subscriptions_report_id_reports"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["service_area_id"], ["service_areas.id"],
                                name=op.f("fk_subscriptions_service_area_id_service_areas"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
    )
    op.create_index("ix_subscriptions_email", "subscriptions", ["email"], unique=False)
    op.create_index(op.f("ix_subscriptions_report_id"), "subscriptions", ["report_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_subscriptions_report_id"), table_name="subscriptions")
    op.drop_index("ix_subscriptions_email", table_name="subscriptions")
    op.drop_table("subscriptions")
