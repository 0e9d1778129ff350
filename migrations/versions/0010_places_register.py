"""The street register: streets, addresses, map features, the basemap version and reports' nearest places

Also creates the `unaccent` and `pg_trgm` extensions (both in PostgreSQL's contrib, trusted, so the
database owner may create them) and `places_fold`, the immutable folding that the searchable text and
the typed query share (docs/places.md).

Revision ID: places_register
Revises: photos_key_indexes
"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "places_register"
down_revision = "photos_key_indexes"
branch_labels = None
depends_on = None


def _geometry(kind: str) -> Geometry:
    return Geometry(geometry_type=kind, srid=4326, dimension=2, spatial_index=False, from_text="ST_GeomFromEWKT",
                    name="geometry")


def upgrade():
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # unaccent() is only STABLE (its dictionary could change); naming the dictionary makes the
    # wrapper safe to declare IMMUTABLE, which a generated column and an index need.
    op.execute("""
        CREATE OR REPLACE FUNCTION places_fold(value text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
            SELECT btrim(regexp_replace(lower(public.unaccent('public.unaccent'::regdictionary, value)),
                                        '[^a-z0-9]+', ' ', 'g'))
        $$""")

    op.create_geospatial_table(
        "streets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=100), server_default="", nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("street_type", sa.String(length=20), nullable=True),
        sa.Column("core", sa.String(length=200), nullable=False),
        sa.Column("search", sa.Text(), sa.Computed("places_fold(core)", persisted=True), nullable=False),
        sa.Column("road_class", sa.String(length=10), server_default="minor", nullable=False),
        sa.Column("geom", _geometry("MULTILINESTRING"), nullable=True),
        sa.Column("point", _geometry("POINT"), nullable=True),
        sa.CheckConstraint("road_class IN ('major', 'minor', 'path')", name=op.f("ck_streets_road_class")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_streets")),
        sa.UniqueConstraint("scope", "name", name="uq_streets_scope_name"),
    )
    op.create_geospatial_index("idx_streets_geom", "streets", ["geom"], unique=False, postgresql_using="gist",
                               postgresql_ops={})
    op.create_index("ix_streets_search_trgm", "streets", ["search"], unique=False, postgresql_using="gist",
                    postgresql_ops={"search": "gist_trgm_ops"})

    op.create_geospatial_table(
        "addresses",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("scope", sa.String(length=100), server_default="", nullable=False),
        sa.Column("street_id", sa.Integer(), nullable=False),
        sa.Column("housenumber", sa.String(length=40), nullable=False),
        sa.Column("number_key", sa.String(length=40), nullable=False),
        sa.Column("number_int", sa.Integer(), nullable=True),
        sa.Column("postcode", sa.String(length=20), nullable=True),
        sa.Column("housename", sa.String(length=200), nullable=True),
        sa.Column("geom", _geometry("POINT"), nullable=False),
        sa.ForeignKeyConstraint(["street_id"], ["streets.id"], name=op.f("fk_addresses_street_id_streets"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_addresses")),
    )
    op.create_geospatial_index("idx_addresses_geom", "addresses", ["geom"], unique=False, postgresql_using="gist",
                               postgresql_ops={})
    op.create_index("ix_addresses_street_number", "addresses", ["street_id", "number_key"], unique=False)
    op.create_index("ix_addresses_street_number_int", "addresses", ["street_id", "number_int"], unique=False)
    op.create_index("ix_addresses_scope", "addresses", ["scope"], unique=False)

    op.create_geospatial_table(
        "map_features",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("scope", sa.String(length=100), server_default="", nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("geom", _geometry("GEOMETRY"), nullable=False),
        sa.CheckConstraint("kind IN ('park', 'water', 'building', 'road')", name=op.f("ck_map_features_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_map_features")),
    )
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_index("ix_map_features_kind_geom", "map_features", ["kind", "geom"], unique=False,
                    postgresql_using="gist")
    op.create_index("ix_map_features_scope", "map_features", ["scope"], unique=False)

    op.create_table(
        "street_registers",
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("attribution", sa.String(length=300), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("streets", sa.Integer(), nullable=False),
        sa.Column("addresses", sa.Integer(), nullable=False),
        sa.Column("features", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_street_registers")),
    )
    op.create_table(
        "basemap_state",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default="1", nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_basemap_state_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_basemap_state")),
    )
    op.create_table(
        "report_places",
        sa.Column("report_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("street", sa.String(length=200), nullable=False),
        sa.Column("housenumber", sa.String(length=40), nullable=True),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('address', 'street')", name=op.f("ck_report_places_kind")),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], name=op.f("fk_report_places_report_id_reports"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("report_id", name=op.f("pk_report_places")),
    )
    # The boundary is drawn on the basemap: changing a jurisdiction changes the basemap's version in
    # the same transaction, so no cached tile outlives it.
    op.execute("""
        CREATE OR REPLACE FUNCTION places_bump_basemap() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO basemap_state (id, version, changed_at) VALUES (1, 2, now())
            ON CONFLICT (id) DO UPDATE SET version = basemap_state.version + 1, changed_at = now();
            RETURN NULL;
        END $$""")
    op.execute("""
        CREATE TRIGGER jurisdictions_bump_basemap AFTER INSERT OR UPDATE OR DELETE ON jurisdictions
        FOR EACH STATEMENT EXECUTE FUNCTION places_bump_basemap()""")


def downgrade():
    op.execute("DROP TRIGGER IF EXISTS jurisdictions_bump_basemap ON jurisdictions")
    op.execute("DROP FUNCTION IF EXISTS places_bump_basemap()")
    op.drop_table("report_places")
    op.drop_table("basemap_state")
    op.drop_table("street_registers")
    op.drop_index("ix_map_features_scope", table_name="map_features")
    op.drop_index("ix_map_features_kind_geom", table_name="map_features")
    op.drop_geospatial_table("map_features")
    op.drop_index("ix_addresses_scope", table_name="addresses")
    op.drop_index("ix_addresses_street_number_int", table_name="addresses")
    op.drop_index("ix_addresses_street_number", table_name="addresses")
    op.drop_geospatial_index("idx_addresses_geom", table_name="addresses", postgresql_using="gist",
                             column_name="geom")
    op.drop_geospatial_table("addresses")
    op.drop_index("ix_streets_search_trgm", table_name="streets")
    op.drop_geospatial_index("idx_streets_geom", table_name="streets", postgresql_using="gist", column_name="geom")
    op.drop_geospatial_table("streets")
    op.execute("DROP FUNCTION IF EXISTS places_fold(text)")
    # The extensions stay: other objects may have come to use them.
