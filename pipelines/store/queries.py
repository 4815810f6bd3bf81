"""The read side of the store: campaigns, items, versions, comments, posters, audit log."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, Engine, func, select

from pipelines.auth import User, require
from pipelines.canvas import Canvas
from pipelines.content import WeekPackage
from pipelines.errors import StoreError
from pipelines.store.models import (
    KINDS,
    STATES,
    AuditEntry,
    CampaignSummary,
    Comment,
    PackageView,
    StoredItem,
    Version,
)
from pipelines.store.schema import (
    audit_log,
    campaigns,
    canvas_versions,
    comments,
    item_versions,
    items,
    packages,
)


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """Every datetime leaves the store in UTC (the app shows it in the user's zone)."""
    if value is None:
        return None
    # SQLite hands datetimes back without their zone; they were written in UTC.
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class StoreReads:
    """Queries shared by `Store`; every read uses its own short connection."""

    engine: Engine

    # --- reading -----------------------------------------------------------------------------

    def campaigns(
        self, *, archived: bool = False, only: str | None = None
    ) -> list[CampaignSummary]:
        """Every campaign (archived ones only on ask; `only` one id), newest first, with item
        counts per review state, store, theme, week and the time of the last change."""
        query = (
            select(campaigns, canvas_versions.c.canvas_json)
            .join(
                canvas_versions,
                (canvas_versions.c.campaign_id == campaigns.c.id)
                & (canvas_versions.c.version == campaigns.c.canvas_version),
            )
            .order_by(campaigns.c.created_at.desc())
        )
        per_state = select(
            items.c.campaign_id, items.c.state, func.count(), func.max(items.c.updated_at)
        ).group_by(items.c.campaign_id, items.c.state)
        if only is not None:
            query = query.where(campaigns.c.id == only)
            per_state = per_state.where(items.c.campaign_id == only)
        elif not archived:
            query = query.where(campaigns.c.archived_at.is_(None))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
            counts: dict[str, dict[str, int]] = {}
            changed: dict[str, dt.datetime] = {}
            for campaign_id, state, n, last in conn.execute(per_state):
                counts.setdefault(campaign_id, dict.fromkeys(STATES, 0))[state] = n
                last = _utc(last)
                if campaign_id not in changed or last > changed[campaign_id]:
                    changed[campaign_id] = last
        return [self._summary(row, counts.get(row.id), changed.get(row.id)) for row in rows]

    def campaign(self, campaign_id: str) -> CampaignSummary:
        found = self.campaigns(only=campaign_id)
        if not found:
            raise StoreError(
                f"找不到活动「{campaign_id}」，可用 campaign-canvas campaigns 查看编号"
            )
        return found[0]

    def has_campaign(self, campaign_id: str) -> bool:
        with self.engine.connect() as conn:
            found = conn.execute(select(campaigns.c.id).where(campaigns.c.id == campaign_id))
            return found.first() is not None

    def find_campaign(self, digest: str) -> str | None:
        """The campaign whose current canvas has this content hash, if any."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(campaigns.c.id)
                .where(campaigns.c.canvas_hash == digest)
                .order_by(campaigns.c.created_at)
            ).first()
        return row.id if row else None

    def canvas(self, campaign_id: str) -> Canvas:
        with self.engine.connect() as conn:
            row = self._campaign_row(conn, campaign_id)
            raw = conn.execute(
                select(canvas_versions.c.canvas_json).where(
                    canvas_versions.c.campaign_id == campaign_id,
                    canvas_versions.c.version == row.canvas_version,
                )
            ).scalar_one()
        return Canvas.model_validate_json(raw)

    def generated_package(self, campaign_id: str) -> WeekPackage:
        """The latest week as generated (before any edit)."""
        with self.engine.connect() as conn:
            return self._generated(conn, campaign_id)

    def _generated(self, conn: Connection, campaign_id: str) -> WeekPackage:
        raw = conn.execute(
            select(packages.c.package_json)
            .where(packages.c.campaign_id == campaign_id)
            .order_by(packages.c.id.desc())
        ).scalar()
        if raw is None:
            raise StoreError(f"找不到活动「{campaign_id}」")
        return WeekPackage.model_validate_json(raw)

    def week(self, campaign_id: str) -> WeekPackage:
        """The latest generated week with every item at its current version.

        Writes check the week-wide rules, so the current versions always form a valid week.
        """
        with self.engine.connect() as conn:
            try:
                return self._current_week(conn, campaign_id)
            except ValidationError as exc:  # only a database written by an older release
                problems = "；".join(str(e["msg"]) for e in exc.errors())
                raise StoreError(f"活动「{campaign_id}」的当前内容不成立：{problems}") from None

    def _current_week(self, conn: Connection, campaign_id: str) -> WeekPackage:
        generated = self._generated(conn, campaign_id)
        current = {s.item_id: s.item for s in self._items(conn, campaign_id)}
        data = generated.model_dump(mode="json")
        for name in ("selling_points", "posters"):
            data[name] = [_current(entry, current) for entry in data[name]]
        if data["calendar"] is not None:
            data["calendar"]["posts"] = [_current(p, current) for p in data["calendar"]["posts"]]
        for name in ("livestream", "group_kit", "launch"):
            if data[name] is not None:
                data[name] = _current(data[name], current)
        return WeekPackage.model_validate(data)

    def items(
        self,
        campaign_id: str,
        *,
        state: str | None = None,
        kind: str | None = None,
        day: int | None = None,
        channel: str | None = None,
    ) -> list[StoredItem]:
        """Latest versions with their review state, in reading order (withdrawn ones only on ask)."""
        query = _current_items().where(items.c.campaign_id == campaign_id)
        query = query.where(items.c.state == state if state else items.c.state != "withdrawn")
        if kind:
            query = query.where(items.c.kind == kind)
        if day is not None:
            query = query.where(items.c.day == day)
        if channel:
            query = query.where(items.c.channel == channel)
        with self.engine.connect() as conn:
            return self._items(conn, campaign_id, query)

    def _items(self, conn: Connection, campaign_id: str, query: Any = None) -> list[StoredItem]:
        if query is None:
            query = _current_items().where(
                items.c.campaign_id == campaign_id, items.c.state != "withdrawn"
            )
        rows = conn.execute(query.order_by(items.c.position)).all()
        return [_stored_item(row) for row in rows]

    def item(self, item_key: str) -> StoredItem:
        with self.engine.connect() as conn:
            return self._stored(conn, item_key)

    def _stored(self, conn: Connection, item_key: str) -> StoredItem:
        row = conn.execute(_current_items().where(items.c.key == item_key)).first()
        if row is None:
            raise StoreError(f"找不到条目「{item_key}」")
        return _stored_item(row)

    def history(self, item_key: str) -> list[Version]:
        """Every version of an item, oldest first."""
        with self.engine.connect() as conn:
            current = self._stored(conn, item_key)
            rows = conn.execute(
                select(item_versions, item_versions.c.poster_png.is_not(None).label("has_png"))
                .where(item_versions.c.item_key == item_key)
                .order_by(item_versions.c.version)
            ).all()
        model = KINDS[current.kind]
        return [
            Version(
                version=r.version,
                source=r.source,
                item=model.model_validate_json(r.body_json),
                created_at=_utc(r.created_at),
                created_by=r.created_by,
                has_poster_png=bool(r.has_png),
                layout=r.layout,
            )
            for r in rows
        ]

    def comments(self, item_key: str) -> list[Comment]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(comments).where(comments.c.item_key == item_key).order_by(comments.c.id)
            ).all()
        return [Comment(r.version, r.author, r.body, _utc(r.created_at)) for r in rows]

    def poster_png(self, item_key: str, version: int | None = None) -> bytes | None:
        """The rendered poster kept with a version (the latest by default)."""
        with self.engine.connect() as conn:
            if version is None:
                version = self._stored(conn, item_key).version
            return conn.execute(
                select(item_versions.c.poster_png).where(
                    item_versions.c.item_key == item_key, item_versions.c.version == version
                )
            ).scalar()

    def package(self, campaign_id: str, *, user: User, approved_only: bool = True) -> PackageView:
        """The campaign's approved items for export, or — for someone allowed to ship drafts
        (an admin) — with `approved_only=False` every current item."""
        require(user, "export")
        if not approved_only:
            require(user, "export_drafts")
        summary = self.campaign(campaign_id)
        generated = self.generated_package(campaign_id)
        chosen = self.items(campaign_id, state="approved" if approved_only else None)
        return PackageView(
            campaign=summary,
            canvas=self.canvas(campaign_id),
            engine=generated.engine,
            generated_at=generated.generated_at,
            items=chosen,
        )

    def audit(self, campaign_id: str) -> list[AuditEntry]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(audit_log, items.c.item_id)
                .outerjoin(items, items.c.key == audit_log.c.item_key)
                .where(audit_log.c.campaign_id == campaign_id)
                .order_by(audit_log.c.id)
            ).all()
        return [
            AuditEntry(
                at=_utc(r.at),
                actor=r.actor,
                role=r.role,
                action=r.action,
                item_id=r.item_id,
                version=r.version,
                detail=r.detail,
            )
            for r in rows
        ]

    def _campaign_row(self, conn: Connection, campaign_id: str, *, lock: bool = False) -> Any:
        """The campaign's row; `lock` holds it (FOR UPDATE) so writers of one campaign queue."""
        query = select(campaigns).where(campaigns.c.id == campaign_id)
        row = conn.execute(query.with_for_update() if lock else query).first()
        if row is None:
            raise StoreError(
                f"找不到活动「{campaign_id}」，可用 campaign-canvas campaigns 查看编号"
            )
        return row

    def _summary(
        self, row: Any, counts: dict[str, int] | None, changed: dt.datetime | None
    ) -> CampaignSummary:
        canvas = json.loads(row.canvas_json)
        return CampaignSummary(
            id=row.id,
            name=row.title or row.name,
            canvas_hash=row.canvas_hash,
            canvas_version=row.canvas_version,
            created_at=_utc(row.created_at),
            created_by=row.created_by,
            counts=counts or dict.fromkeys(STATES, 0),
            brand=canvas["brand"]["name"],
            theme=canvas["theme"]["name"],
            week_start=dt.date.fromisoformat(canvas["week_start"]),
            updated_at=changed or _utc(row.created_at),
            archived=row.archived_at is not None,
        )


def _current_items() -> Any:
    """Items joined with their current version (body and whether a poster is kept)."""
    columns = (
        item_versions.c.body_json,
        item_versions.c.source,
        item_versions.c.layout,
        item_versions.c.created_by.label("author"),
    )
    has_png = item_versions.c.poster_png.is_not(None).label("has_png")
    return select(items, *columns, has_png).join(
        item_versions,
        (item_versions.c.item_key == items.c.key) & (item_versions.c.version == items.c.version),
    )


def _current(entry: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    item = current.get(entry["id"])
    return item.model_dump(mode="json") if item is not None else entry


def _stored_item(row: Any) -> StoredItem:
    mapping = row._mapping
    model = KINDS[mapping["kind"]]
    return StoredItem(
        key=mapping["key"],
        campaign_id=mapping["campaign_id"],
        item_id=mapping["item_id"],
        kind=mapping["kind"],
        day=mapping["day"],
        channel=mapping["channel"],
        state=mapping["state"],
        version=mapping["version"],
        item=model.model_validate_json(mapping["body_json"]),
        updated_at=_utc(mapping["updated_at"]),
        updated_by=mapping["updated_by"],
        approved_version=mapping["approved_version"],
        approved_by=mapping["approved_by"],
        approved_at=_utc(mapping["approved_at"]),
        has_poster_png=bool(mapping["has_png"]),
        source=mapping["source"],
        layout=mapping["layout"],
        author=mapping["author"],
    )
