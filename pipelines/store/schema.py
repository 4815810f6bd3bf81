"""Tables and migrations. Every table is created by numbered migrations recorded in `meta`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    func,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from pipelines.errors import StoreError

metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", String(40), primary_key=True),
    Column("value", String(200), nullable=False),
)

campaigns = Table(
    "campaigns",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("canvas_hash", String(64), nullable=False, index=True),
    Column("canvas_version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("title", String(100)),  # v4: a name given in the campaign list (else the canvas's)
    Column("archived_at", DateTime(timezone=True)),  # v4
)

canvas_versions = Table(
    "canvas_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("canvas_hash", String(64), nullable=False),
    Column("canvas_json", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(64), nullable=False),
    UniqueConstraint("campaign_id", "version"),
)

packages = Table(
    "packages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("canvas_version", Integer, nullable=False),
    Column("engine", String(40), nullable=False),
    Column("generated_at", DateTime(timezone=True), nullable=False),
    Column("package_json", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(64), nullable=False),
)

# One row per reviewable item; `version` is the latest version, `state` its review state.
items = Table(
    "items",
    metadata,
    Column("key", String(90), primary_key=True),  # "<campaign id>/<item id>"
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("item_id", String(64), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("position", Integer, nullable=False),
    Column("day", Integer),
    Column("channel", String(20)),
    Column("state", String(20), nullable=False),
    Column("version", Integer, nullable=False),
    Column("has_errors", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(64), nullable=False),
    Column("approved_version", Integer),
    Column("approved_by", String(64)),
    Column("approved_at", DateTime(timezone=True)),
    UniqueConstraint("campaign_id", "item_id"),
    Index("ix_items_campaign_state", "campaign_id", "state"),
)

item_versions = Table(
    "item_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_key", ForeignKey("items.key", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("source", String(20), nullable=False),  # generated | edited | regenerated
    Column("body_json", Text, nullable=False),
    Column("poster_png", LargeBinary),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("layout", String(40)),  # v4: the poster layout chosen for this version
    UniqueConstraint("item_key", "version"),
)

comments = Table(
    "comments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_key", ForeignKey("items.key", ondelete="CASCADE"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("author", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("campaign_id", String(16), nullable=False, index=True),
    Column("item_key", String(90)),
    Column("action", String(20), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("role", String(20), nullable=False),
    Column("version", Integer),
    Column("detail", Text, nullable=False, default=""),
    Column("at", DateTime(timezone=True), nullable=False),
)


# Sign-in accounts kept in the database (the users file is the other source; see pipelines.auth).
users = Table(
    "users",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("role", String(20), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


# A person's unsaved canvas form, kept as they type (one per account).
drafts = Table(
    "drafts",
    metadata,
    Column("owner", String(64), primary_key=True),
    Column("draft_json", Text, nullable=False),
    Column("campaign_id", String(16)),  # the campaign the draft was opened from, if any
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


# The batch queue (v5): one row per canvas hash, claimed by one worker at a time under a lease
# the worker renews while it runs; `payload` is the job as it was enqueued (retry needs no files).
batch_jobs = Table(
    "batch_jobs",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("batch_id", String(16), nullable=False, index=True),
    Column("source", String(300), nullable=False),
    Column("name", String(100), nullable=False),
    Column("brand", String(100), nullable=False),
    Column("state", String(10), nullable=False),  # queued | running | done | failed
    Column("attempts", Integer, nullable=False),
    Column("worker", String(100)),
    Column("lease_until", DateTime(timezone=True)),
    Column("campaign_id", String(16)),
    Column("error", Text),
    Column("payload", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
)

# Bytes by their SHA-256 (v5): product images and logos that travel with a queued canvas.
blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Model answers by the SHA-256 of their cache key (v5): shared by every worker of the database.
answers = Table(
    "answers",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


def _v1(conn: Connection) -> None:
    tables = [meta, campaigns, canvas_versions, packages, items, item_versions, comments, audit_log]
    metadata.create_all(conn, tables=tables)


def _v2(conn: Connection) -> None:
    users.create(conn)


def _v3(conn: Connection) -> None:
    """One campaign per canvas: duplicates from before keep their data under a marked hash."""
    dupes = (
        select(campaigns.c.canvas_hash)
        .group_by(campaigns.c.canvas_hash)
        .having(func.count() > 1)
        .scalar_subquery()
    )
    rows = conn.execute(
        select(campaigns.c.id, campaigns.c.canvas_hash)
        .where(campaigns.c.canvas_hash.in_(dupes))
        .order_by(campaigns.c.canvas_hash, campaigns.c.created_at, campaigns.c.id)
    ).all()
    first_of: set[str] = set()
    for campaign_id, digest in rows:
        if digest in first_of:  # the oldest keeps the hash; a later twin can be reopened by id
            marked = f"dup-{campaign_id}"
            conn.execute(
                update(campaigns).where(campaigns.c.id == campaign_id).values(canvas_hash=marked)
            )
        first_of.add(digest)
    # Plain DDL: an Index object would attach itself to the table and reach _v1's create_all.
    conn.execute(text("CREATE UNIQUE INDEX ux_campaigns_canvas_hash ON campaigns (canvas_hash)"))


def _v4(conn: Connection) -> None:
    """Chosen poster layouts, campaign titles and archiving, canvas drafts."""
    _add_columns(conn, item_versions, "layout")
    _add_columns(conn, campaigns, "title", "archived_at")
    drafts.create(conn)


def _v5(conn: Connection) -> None:
    """The batch queue's jobs, the images that travel with them, the shared answer cache."""
    metadata.create_all(conn, tables=[batch_jobs, blobs, answers])


def _add_columns(conn: Connection, table: Table, *names: str) -> None:
    # The Table objects above describe the latest schema, so _v1's create_all may have made these.
    present = {c["name"] for c in inspect(conn).get_columns(table.name)}
    for name in names:
        if name not in present:
            column = table.c[name]
            kind = column.type.compile(conn.dialect)
            conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {name} {kind}"))


# Numbered, append-only. A new column or table is a new function here, never an edit above.
MIGRATIONS: list[Callable[[Connection], None]] = [_v1, _v2, _v3, _v4, _v5]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: Connection) -> int:
    if not inspect(conn).has_table("meta"):
        return 0
    row = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).first()
    return int(row[0]) if row else 0


# Any constant shared by every process that migrates this database.
_MIGRATION_LOCK = 0x63635F6D  # "cc_m"


def migrate(engine: Engine) -> int:
    """Bring the database up to SCHEMA_VERSION in one transaction, under a lock so that several
    processes opening a new database at once migrate it exactly once; returns the version."""
    with engine.connect() as conn:
        if schema_version(conn) == SCHEMA_VERSION:
            return SCHEMA_VERSION
    with writing(engine).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        current = schema_version(conn)  # read again under the lock: another process may be done
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"数据库的结构版本是 {current}，比这个程序认识的 {SCHEMA_VERSION} 新；请先升级程序"
            )
        for number in range(current + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[number - 1](conn)
        if current != SCHEMA_VERSION:
            conn.execute(meta.delete().where(meta.c.key == "schema_version"))
            conn.execute(meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
    return SCHEMA_VERSION


def upsert(engine: Engine, table: Table, key: str, **values: object) -> Any:
    """INSERT … ON CONFLICT (key) DO UPDATE: one statement, so two writers never collide."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(table).values(**values)
    changed = {name: insert.excluded[name] for name in values if name != key}
    return insert.on_conflict_do_update(index_elements=[table.c[key]], set_=changed)


def writing(engine: Engine) -> Engine:
    """The engine for transactions that read in order to write: on SQLite they take the write
    lock at BEGIN (so two writers queue instead of one failing), on PostgreSQL rows are locked
    with SELECT … FOR UPDATE where it matters."""
    return engine.execution_options(cc_write=True)


def configure_sqlite(engine: Engine) -> None:
    """WAL for readers alongside a writer, foreign keys on, waiting instead of failing, and real
    transactions: the driver's own implicit BEGIN is turned off (it leaves DDL outside any
    transaction) and each transaction begins itself — IMMEDIATE when it is going to write."""

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("cc_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
