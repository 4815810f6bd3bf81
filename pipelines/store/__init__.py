"""Persistence: campaigns, items and every version of them, reviews and the audit log.

SQLite under `CC_DATA_DIR` by default (WAL mode); `CC_DATABASE_URL` selects any SQLAlchemy URL.
"""

from pipelines.store.models import (
    KIND_LABELS,
    KINDS,
    SOURCE_LABELS,
    STATE_LABELS,
    STATES,
    AuditEntry,
    CampaignSummary,
    Comment,
    PackageView,
    StoredItem,
    Version,
)
from pipelines.store.repo import Store, VersionConflict, open_store
from pipelines.store.rows import canvas_hash

__all__ = [
    "KINDS",
    "KIND_LABELS",
    "SOURCE_LABELS",
    "STATES",
    "STATE_LABELS",
    "AuditEntry",
    "CampaignSummary",
    "Comment",
    "PackageView",
    "Store",
    "StoredItem",
    "Version",
    "VersionConflict",
    "canvas_hash",
    "open_store",
]
