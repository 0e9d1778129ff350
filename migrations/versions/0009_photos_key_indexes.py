"""Index photos by storage key: serving a photo checks its report's visibility by key on every request

Revision ID: photos_key_indexes
Revises: 0007
"""
from alembic import op

revision = "photos_key_indexes"
down_revision = "invalid_reports_hidden"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(op.f("ix_photos_storage_key"), "photos", ["storage_key"], unique=False)
    op.create_index(op.f("ix_photos_thumbnail_key"), "photos", ["thumbnail_key"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_photos_thumbnail_key"), table_name="photos")
    op.drop_index(op.f("ix_photos_storage_key"), table_name="photos")
