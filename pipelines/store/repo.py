"""The repository: every read and write of campaigns, items, versions, reviews and the audit log.

Every write runs in one transaction (`self.writer.begin()`), so a failure leaves nothing half-written.
Edits carry the version they started from; a stale one is refused with the newer text.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, Engine, create_engine, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from pipelines.auth import User, require
from pipelines.canvas import Canvas, describe_validation_error
from pipelines.compliance import annotate
from pipelines.content import Item, Post, WeekPackage, iter_texts
from pipelines.errors import StoreError
from pipelines.settings import Settings
from pipelines.store.health import prepare_sqlite
from pipelines.store.models import (
    MANUAL,
    STATE_LABELS,
    Decisions,
    StoredItem,
    kind_of,
)
from pipelines.store.queries import StoreReads
from pipelines.store.rows import (
    Prepared,
    canvas_hash,
    prepared_items,
    utc_now,
    version_row,
)
from pipelines.store.schema import (
    audit_log,
    campaigns,
    canvas_versions,
    comments,
    configure_sqlite,
    drafts,
    item_versions,
    items,
    migrate,
    packages,
    upsert,
    writing,
)
from pipelines.store.texts import field_label, item_lines
from pipelines.textcheck import check_text


class VersionConflict(StoreError):
    """Someone saved a newer version first. `current` is that newer item."""

    def __init__(self, message: str, current: StoredItem) -> None:
        super().__init__(message)
        self.current = current


def open_store(settings: Settings) -> Store:
    """Open (and create or migrate) the database named by the settings."""
    url = make_url(settings.database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        # A missing file is created (folder 0700, file 0600); an empty, foreign or damaged one
        # is refused with a pointer to the newest backup, never filled with new tables.
        prepare_sqlite(settings)
    # Pre-ping: a connection the server dropped (a restart) is replaced, not handed out.
    # PostgreSQL sessions run in UTC so timestamps never come back in another zone.
    connect_args = {"options": "-c timezone=UTC"} if backend == "postgresql" else {}
    engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    if backend == "sqlite":
        configure_sqlite(engine)
    migrate(engine)
    store = Store(engine)
    store.four_eyes = four_eyes(settings, store)
    return store


def four_eyes(settings: Settings, store: Store) -> bool:
    """The team rule is on when set, else whenever there are users (a users file or accounts
    in the database): then approving one's own edit needs someone else."""
    if settings.cc_four_eyes is not None:
        return settings.cc_four_eyes
    from pipelines.auth import users_file
    from pipelines.store.people import database_users

    return users_file(settings).is_file() or bool(database_users(store))


class Store(StoreReads):
    """Campaigns, items and their versions, reviews and the audit log."""

    def __init__(self, engine: Engine, *, four_eyes: bool = False) -> None:
        self.engine = engine
        self.writer = writing(engine)
        # Team rule: nobody approves a version they wrote themselves.
        self.four_eyes = four_eyes

    def close(self) -> None:
        self.engine.dispose()

    # --- writing a generated week ------------------------------------------------------------

    def save_package(
        self,
        package: WeekPackage,
        *,
        user: User,
        campaign_id: str | None = None,
        posters: Mapping[str, bytes] | None = None,
        replace_decided: bool = False,
    ) -> str:
        """Store a generated week; returns the campaign id.

        Without `campaign_id` this is the campaign of this canvas: a new one, or — when a
        campaign already holds exactly this canvas — that one, unchanged (saving twice is
        idempotent). With `campaign_id` the canvas becomes its next version: items whose text
        is unchanged keep their state, approved and hand-edited items are kept unless
        `replace_decided`, every other item gets a new "generated" version (back to draft), and
        items the new week no longer has are withdrawn. Nothing is deleted: history keeps every
        version. `posters` maps poster item ids to rendered PNG bytes.
        """
        require(user, "generate")
        now, digest = utc_now(), canvas_hash(package.canvas)
        # Serialise before the transaction: other writers wait only for the inserts themselves.
        canvas_json, package_json = package.canvas.model_dump_json(), package.model_dump_json()
        prepared = prepared_items(package)
        creating = campaign_id is None
        try:
            with self.writer.begin() as conn:
                if campaign_id is None:
                    existing = self._campaign_of(conn, digest)
                    if existing is not None:
                        return existing
                    campaign_id, version = uuid.uuid4().hex[:12], 1
                    conn.execute(
                        campaigns.insert().values(
                            id=campaign_id,
                            name=package.canvas.name,
                            canvas_hash=digest,
                            canvas_version=1,
                            created_at=now,
                            created_by=user.name,
                        )
                    )
                else:
                    row = self._campaign_row(conn, campaign_id, lock=True)
                    twin = self._campaign_of(conn, digest)
                    if twin not in (None, campaign_id):
                        raise StoreError(
                            f"这份画布和活动「{twin}」的完全相同；请直接打开那个活动，"
                            "或改动画布（如活动名称、日期）后再生成"
                        )
                    version = row.canvas_version + 1
                    conn.execute(
                        update(campaigns)
                        .where(campaigns.c.id == campaign_id)
                        .values(
                            name=package.canvas.name, canvas_hash=digest, canvas_version=version
                        )
                    )
                conn.execute(
                    canvas_versions.insert().values(
                        campaign_id=campaign_id,
                        version=version,
                        canvas_hash=digest,
                        canvas_json=canvas_json,
                        created_at=now,
                        created_by=user.name,
                    )
                )
                conn.execute(
                    packages.insert().values(
                        campaign_id=campaign_id,
                        canvas_version=version,
                        engine=package.engine,
                        generated_at=package.generated_at,
                        package_json=package_json,
                        created_at=now,
                        created_by=user.name,
                    )
                )
                kept = self._write_generated(
                    conn, campaign_id, prepared, posters or {}, user, now, replace_decided
                )
                self._withdraw_missing(conn, campaign_id, {e.item_id for e in prepared}, user)
                detail = package.engine + (f"；保留 {kept} 条已通过或手改的条目" if kept else "")
                self._log(conn, campaign_id, None, "generate", user, version, detail)
                if kept:
                    self._check_week(conn, campaign_id)
        except IntegrityError:
            # Another process stored this canvas first (the unique hash decided): that campaign.
            found = self.find_campaign(digest) if creating else None
            if found is None:
                raise
            return found
        return campaign_id

    def decisions(self, campaign_id: str) -> Decisions:
        """What regenerating the week with `replace_decided` would replace (for the dialog)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(items.c.state, item_versions.c.source)
                .join(
                    item_versions,
                    (item_versions.c.item_key == items.c.key)
                    & (item_versions.c.version == items.c.version),
                )
                .where(items.c.campaign_id == campaign_id, items.c.state != "withdrawn")
            ).all()
        return Decisions(
            approved=sum(state == "approved" for state, _ in rows),
            edited=sum(state != "approved" and source in MANUAL for state, source in rows),
        )

    def _campaign_of(self, conn: Connection, digest: str) -> str | None:
        return conn.execute(
            select(campaigns.c.id).where(campaigns.c.canvas_hash == digest)
        ).scalar()

    def _write_generated(
        self,
        conn: Connection,
        campaign_id: str,
        prepared: list[Prepared],
        posters: Mapping[str, bytes],
        user: User,
        now: dt.datetime,
        replace_decided: bool,
    ) -> int:
        """Every item of the week as its next "generated" version, back to draft (bulk inserts),
        except unchanged and (unless `replace_decided`) decided ones; returns how many were kept
        because they were decided. The item rows are locked first, so an edit saved meanwhile
        is either seen here or refused there as a version conflict."""
        current = {
            row.item_id: row
            for row in conn.execute(
                select(
                    items.c.item_id,
                    items.c.version,
                    items.c.state,
                    item_versions.c.body_json,
                    item_versions.c.source,
                )
                .join(
                    item_versions,
                    (item_versions.c.item_key == items.c.key)
                    & (item_versions.c.version == items.c.version),
                )
                .where(items.c.campaign_id == campaign_id)
                .with_for_update(of=items)
            )
        }
        new_rows, versions, kept = [], [], 0
        for position, entry in enumerate(prepared):
            key = f"{campaign_id}/{entry.item_id}"
            row = current.get(entry.item_id)
            placing = dict(position=position, day=entry.day, channel=entry.channel)
            if row is not None and row.state != "withdrawn":
                unchanged = row.body_json == entry.body
                decided = row.state == "approved" or row.source in MANUAL
                if unchanged or (decided and not replace_decided):
                    kept += not unchanged
                    conn.execute(update(items).where(items.c.key == key).values(**placing))
                    continue
            version = (row.version if row is not None else 0) + 1
            values = dict(
                kind=entry.kind,
                **placing,
                state="draft",
                version=version,
                has_errors=entry.has_errors,
                updated_at=now,
                updated_by=user.name,
                approved_version=None,
                approved_by=None,
                approved_at=None,
            )
            if row is not None:
                conn.execute(update(items).where(items.c.key == key).values(**values))
            else:
                new_rows.append(
                    dict(key=key, campaign_id=campaign_id, item_id=entry.item_id, **values)
                )
            png = posters.get(entry.item_id)
            versions.append(version_row(key, version, "generated", entry.body, png, user, now))
        if new_rows:
            conn.execute(items.insert(), new_rows)
        if versions:
            self._insert_versions(conn, versions)
        return kept

    def _withdraw_missing(
        self, conn: Connection, campaign_id: str, seen: set[str], user: User
    ) -> None:
        stale = conn.execute(
            select(items.c.key).where(
                items.c.campaign_id == campaign_id,
                items.c.item_id.not_in(seen),
                items.c.state != "withdrawn",
            )
        ).scalars()
        for key in list(stale):
            conn.execute(update(items).where(items.c.key == key).values(state="withdrawn"))
            self._log(conn, campaign_id, key, "withdraw", user, None, "新一版生成里没有此条目")

    def _check_week(self, conn: Connection, campaign_id: str) -> None:
        """The current versions must still form a valid week (week-wide rules)."""
        try:
            self._current_week(conn, campaign_id)
        except ValidationError as exc:
            problems = "；".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
            raise StoreError(
                f"保留的条目和新生成的内容放在一起不成立（{problems}）；请选择替换后再生成"
            ) from None

    def _insert_versions(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        conn.execute(item_versions.insert(), rows)

    # --- editing and reviewing ---------------------------------------------------------------

    def edit_item(
        self,
        item_key: str,
        item: Item,
        *,
        user: User,
        expected_version: int,
        source: str = "edited",
        poster_png: bytes | None = None,
        layout: str | None = None,
    ) -> StoredItem:
        """Save `item` as the next version, if nobody saved another one since `expected_version`.

        The item is validated against the campaign's canvas and re-scanned for compliance, and
        the week with it in place must still hold its week-wide rules (checked in the same
        transaction, so two edits cannot together break them). Editing an approved item sends
        it back to review; the approved text stays in history. A poster's chosen `layout`
        carries over to the next version unless a new one is given.
        """
        require(user, "edit" if source in MANUAL else "generate")
        current = self.item(item_key)
        if current.item_id != item.id or current.kind != kind_of(item):
            raise StoreError(f"条目「{current.item_id}」不能换成别的条目（{item.id}）")
        if current.state == "withdrawn":
            raise StoreError(f"条目「{current.item_id}」已撤下，不能再编辑")
        for path, value in iter_texts(item):
            check_text(value, f"修改内容（{field_label(path)}）", error=StoreError)
        checked = self._validated(item, self.canvas(current.campaign_id))
        layout = layout or current.layout
        now = utc_now()
        state = {"approved": "in_review", "rejected": "draft"}.get(current.state, current.state)
        body = checked.model_dump_json()
        with self.writer.begin() as conn:
            # Writers of one campaign queue on its row (a week being regenerated included), so
            # they never take item locks in opposite orders.
            self._campaign_row(conn, current.campaign_id, lock=True)
            result = conn.execute(
                update(items)
                .where(items.c.key == item_key, items.c.version == expected_version)
                .values(
                    version=expected_version + 1,
                    state=state,
                    has_errors=any(f.severity == "error" for f in checked.findings),
                    updated_at=now,
                    updated_by=user.name,
                    approved_version=None,
                    approved_by=None,
                    approved_at=None,
                )
            )
            if result.rowcount != 1:
                raise self._conflict(conn, item_key, expected_version)
            self._insert_versions(
                conn,
                [
                    version_row(
                        item_key, expected_version + 1, source, body, poster_png, user, now, layout
                    )
                ],
            )
            self._log(conn, current.campaign_id, item_key, source, user, expected_version + 1, "")
            week = self._check_edit(conn, current.campaign_id)
            if isinstance(checked, Post):  # a post moved: it and its poster file under the day
                self._place(conn, current.campaign_id, week, checked)
        return self.item(item_key)

    def _place(self, conn: Connection, campaign_id: str, week: WeekPackage, post: Post) -> None:
        ids = [post.id] + [p.id for p in week.posters if p.post_id == post.id]
        conn.execute(
            update(items)
            .where(items.c.campaign_id == campaign_id, items.c.item_id.in_(ids))
            .values(day=post.day)
        )

    def restore(
        self, item_key: str, version: int, *, user: User, expected_version: int
    ) -> StoredItem:
        """Undo: an earlier version's content becomes the next version (history keeps all)."""
        old = next((v for v in self.history(item_key) if v.version == version), None)
        if old is None:
            raise StoreError(f"条目「{item_key}」没有第 {version} 版")
        png = self.poster_png(item_key, version)
        return self.edit_item(
            item_key, old.item, user=user, expected_version=expected_version,
            source="restored", poster_png=png, layout=old.layout,
        )  # fmt: skip

    def _check_edit(self, conn: Connection, campaign_id: str) -> WeekPackage:
        try:
            return self._current_week(conn, campaign_id)
        except ValidationError as exc:
            problems = "；".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
            raise StoreError(f"修改未保存，和本周其他内容冲突：{problems}") from None

    def _validated(self, item: Item, canvas: Canvas) -> Item:
        model = type(item)
        try:
            checked = model.model_validate(
                item.model_dump(exclude={"findings"}), context={"canvas": canvas}
            )
        except ValidationError as exc:
            lines = describe_validation_error(model, exc)
            raise StoreError(
                "修改未保存，内容有问题：\n" + "\n".join(f"- {x}" for x in lines)
            ) from None
        return annotate(checked, canvas)

    def _conflict(self, conn: Connection, item_key: str, expected: int) -> VersionConflict:
        newer = self._stored(conn, item_key)
        lines = item_lines(newer.item)
        texts = "\n".join(lines[:30] + (["……"] if len(lines) > 30 else []))
        return VersionConflict(
            f"保存冲突：「{newer.item_id}」已被 {newer.updated_by} 在 "
            f"{newer.updated_at:%Y-%m-%d %H:%M} 改为第 {newer.version} 版，"
            f"你的修改基于第 {expected} 版，没有保存。请在最新内容上重新修改。最新内容：\n{texts}",
            newer,
        )

    def submit(self, item_key: str, *, user: User) -> StoredItem:
        """Draft or rejected → in review."""
        require(user, "submit")
        return self._transition(item_key, user, "submit", {"draft", "rejected"}, "in_review")

    def approve(
        self,
        item_key: str,
        *,
        user: User,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> StoredItem:
        """In review → approved. An item with an error-level finding needs a written reason."""
        require(user, "approve")
        current = self.item(item_key)
        if self.four_eyes and current.source != "generated" and current.author == user.name:
            raise StoreError(
                f"「{current.item_id}」的当前版本是你自己改的（第 {current.version} 版），"
                "团队模式下需要另一位审核同事来通过"
            )
        reason = check_text((reason or "").strip(), "通过理由", error=StoreError)
        if current.has_errors and not reason:
            raise StoreError(
                f"「{current.item_id}」有严重合规问题，通过前必须写明理由（会记入审计日志）"
            )
        return self._transition(
            item_key, user, "approve", {"in_review"}, "approved", reason, expected_version
        )

    def reject(self, item_key: str, *, user: User, reason: str) -> StoredItem:
        """In review → rejected, with the reason kept as a comment."""
        require(user, "reject")
        check_text(reason, "驳回理由", error=StoreError)
        if not reason.strip():
            raise StoreError("驳回时请写明原因，方便同事修改")
        return self._transition(
            item_key, user, "reject", {"in_review"}, "rejected", reason.strip(), comment=True
        )

    def approve_clean(self, campaign_id: str, *, day: int, user: User) -> list[str]:
        """Approve, in one step, every item in review on `day` that has no finding at all."""
        require(user, "approve")
        keys = [i.key for i in self.items(campaign_id, state="in_review", day=day) if i.clean]
        for key in keys:
            self._transition(
                key, user, "approve", {"in_review"}, "approved", "当天无问题条目一键通过"
            )
        return keys

    def _transition(
        self,
        item_key: str,
        user: User,
        action: str,
        allowed: set[str],
        target: str,
        detail: str = "",
        expected_version: int | None = None,
        *,
        comment: bool = False,
    ) -> StoredItem:
        """Move one item between review states; `comment` also keeps `detail` as a comment."""
        now = utc_now()
        with self.writer.begin() as conn:
            current = self._stored(conn, item_key)
            if current.state not in allowed:
                wanted = "、".join(STATE_LABELS[s] for s in sorted(allowed))
                raise StoreError(
                    f"「{current.item_id}」现在是「{STATE_LABELS[current.state]}」，"
                    f"只有「{wanted}」的条目可以这样操作"
                )
            condition = [items.c.key == item_key, items.c.state == current.state]
            condition.append(items.c.version == (expected_version or current.version))
            values: dict[str, Any] = {"state": target, "updated_at": now, "updated_by": user.name}
            if target == "approved":
                values |= {"approved_version": current.version, "approved_by": user.name}
                values["approved_at"] = now
            if conn.execute(update(items).where(*condition).values(**values)).rowcount != 1:
                raise self._conflict(conn, item_key, expected_version or current.version)
            self._log(conn, current.campaign_id, item_key, action, user, current.version, detail)
            if comment:
                self._insert_comment(conn, item_key, current.version, user, detail, now)
        return self.item(item_key)

    def comment(self, item_key: str, body: str, *, user: User) -> None:
        require(user, "comment")
        body = check_text(body.strip(), "评论", error=StoreError)
        if not body:
            raise StoreError("评论不能为空")
        with self.writer.begin() as conn:
            current = self._stored(conn, item_key)
            self._insert_comment(conn, item_key, current.version, user, body, utc_now())
            self._log(conn, current.campaign_id, item_key, "comment", user, current.version, body)

    def _insert_comment(
        self, conn: Connection, key: str, version: int, user: User, body: str, now: dt.datetime
    ) -> None:
        conn.execute(
            comments.insert().values(
                item_key=key, version=version, author=user.name, body=body, created_at=now
            )
        )

    # --- managing campaigns and drafts --------------------------------------------------------

    def rename(self, campaign_id: str, title: str, *, user: User) -> None:
        require(user, "generate")
        title = check_text(title.strip(), "活动名称", multiline=False, error=StoreError)
        if not title or len(title) > 100:
            raise StoreError("活动名称需要 1–100 个字")
        self._set_campaign(campaign_id, user, "rename", title, title=title)

    def archive(self, campaign_id: str, *, user: User, archived: bool = True) -> None:
        """Hide a campaign from the list (nothing is deleted; `archived=False` brings it back)."""
        require(user, "generate")
        when = utc_now() if archived else None
        action = "archive" if archived else "unarchive"
        self._set_campaign(campaign_id, user, action, "", archived_at=when)

    def _set_campaign(
        self, campaign_id: str, user: User, action: str, detail: str, **values: Any
    ) -> None:
        with self.writer.begin() as conn:
            self._campaign_row(conn, campaign_id, lock=True)
            conn.execute(update(campaigns).where(campaigns.c.id == campaign_id).values(**values))
            self._log(conn, campaign_id, None, action, user, None, detail)

    def save_draft(self, owner: str, draft: Mapping[str, Any], campaign_id: str | None) -> None:
        """Keep one person's canvas form as it is (it may not be a valid canvas yet)."""
        raw = json.dumps(draft, ensure_ascii=False, default=str)
        statement = upsert(
            self.engine, drafts, "owner",
            owner=owner, draft_json=raw, campaign_id=campaign_id, updated_at=utc_now(),
        )  # fmt: skip
        with self.writer.begin() as conn:
            conn.execute(statement)

    def draft(self, owner: str) -> tuple[dict[str, Any], str | None] | None:
        """(draft, campaign id) kept for this person, if any."""
        with self.engine.connect() as conn:
            row = conn.execute(select(drafts).where(drafts.c.owner == owner)).first()
        return (json.loads(row.draft_json), row.campaign_id) if row else None

    def attach_poster(self, item_key: str, version: int, png: bytes, *, user: User) -> None:
        """Keep the rendered poster of one version (rendering is not a content change, but the
        image ships, so it takes the right to edit and is audited)."""
        require(user, "edit")
        with self.writer.begin() as conn:
            current = self._stored(conn, item_key)
            conn.execute(
                update(item_versions)
                .where(item_versions.c.item_key == item_key, item_versions.c.version == version)
                .values(poster_png=png)
            )
            self._log(conn, current.campaign_id, item_key, "attach_poster", user, version, "")

    def _log(
        self,
        conn: Connection,
        campaign_id: str,
        item_key: str | None,
        action: str,
        user: User,
        version: int | None,
        detail: str,
    ) -> None:
        conn.execute(
            audit_log.insert().values(
                campaign_id=campaign_id,
                item_key=item_key,
                action=action,
                actor=user.name,
                role=user.role,
                version=version,
                detail=detail,
                at=utc_now(),
            )
        )
