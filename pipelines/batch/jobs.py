"""Queued canvases as data, and their rows in the store's `batch_jobs` table.

A job is JSON: the canvas, its hash, the asker's options and the hashes of the images it names
(their bytes wait in `blobs`). No settings, no key, no local path: a worker on any machine reads
its own settings. The row of a canvas hash is claimed by one worker at a time under a lease that
the worker renews while it runs, so a duplicated or redelivered message finds the canvas running
(and waits) or done (and does nothing); the store's unique canvas hash is the last word.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from pipelines.store import Store
from pipelines.store.rows import utc_now
from pipelines.store.schema import answers, batch_jobs, blobs

STATES = ("queued", "running", "done", "failed")
STATE_LABELS = {"queued": "排队中", "running": "生成中", "done": "已完成", "failed": "失败"}


@dataclass(frozen=True)
class CanvasJob:
    """One canvas to generate on the queue: plain JSON data."""

    digest: str
    canvas_json: str
    source: str
    batch_id: str
    engine: str | None = None
    seed: int | None = None
    posters: bool = True
    images: dict[str, str] = field(default_factory=dict)  # reference in the canvas → sha256

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> CanvasJob:
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)  # type: ignore[arg-type]


@dataclass(frozen=True)
class JobRow:
    """What the store knows of one queued canvas."""

    digest: str
    batch_id: str
    source: str
    name: str
    brand: str
    state: str
    attempts: int
    worker: str | None
    campaign_id: str | None
    error: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None

    @property
    def label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)


def new_batch_id() -> str:
    return uuid.uuid4().hex[:12]


def _insert_ignore(conn: Connection, table, rows: list[dict[str, object]], key: str) -> None:  # type: ignore[no-untyped-def]
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).on_conflict_do_nothing(index_elements=[table.c[key]])
    conn.execute(statement, rows)


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes (they were stored in UTC)."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


# --- images that travel with a canvas ---------------------------------------------------------


def put_blobs(store: Store, data: Iterable[bytes]) -> list[str]:
    """Keep each byte string once, by its SHA-256; returns the hashes in order."""
    now = utc_now()
    rows, hashes = {}, []
    for raw in data:
        digest = hashlib.sha256(raw).hexdigest()
        hashes.append(digest)
        rows[digest] = {"sha256": digest, "data": raw, "created_at": now}
    with store.writer.begin() as conn:
        present = set(
            conn.execute(select(blobs.c.sha256).where(blobs.c.sha256.in_(list(rows)))).scalars()
        )
        _insert_ignore(conn, blobs, [r for d, r in rows.items() if d not in present], "sha256")
    return hashes


def get_blobs(store: Store, hashes: Iterable[str]) -> dict[str, bytes]:
    wanted = sorted(set(hashes))
    if not wanted:
        return {}
    with store.engine.connect() as conn:
        rows = conn.execute(select(blobs.c.sha256, blobs.c.data).where(blobs.c.sha256.in_(wanted)))
        return {sha: bytes(data) for sha, data in rows}


# --- the shared answer cache ------------------------------------------------------------------


class StoreCache:
    """Model answers in the database (the `ResultCache` protocol): a rerun of a canvas on any
    worker of this database pays nothing for the answers an earlier run already got."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @staticmethod
    def _key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def get(self, key: str) -> str | None:
        with self.store.engine.connect() as conn:
            return conn.execute(
                select(answers.c.value).where(answers.c.key == self._key(key))
            ).scalar()

    def put(self, key: str, value: str) -> None:
        row = {"key": self._key(key), "value": value, "created_at": utc_now()}
        with self.store.engine.begin() as conn:
            _insert_ignore(conn, answers, [row], "key")


# --- the rows of queued canvases --------------------------------------------------------------


def record(store: Store, jobs: list[CanvasJob]) -> dict[str, str]:
    """Note each job as asked for by its batch; returns digest → what to do: "send" (queued
    now, or still queued or running from before: sending again is harmless) or the id of the
    campaign that already holds the canvas ("stored")."""
    now = utc_now()
    decided: dict[str, str] = {}
    for job in jobs:
        existing = store.find_campaign(job.digest)
        canvas = json.loads(job.canvas_json)
        values = {
            "batch_id": job.batch_id,
            "source": job.source[:300],
            "name": str(canvas.get("name", ""))[:100],
            "brand": str(canvas.get("brand", {}).get("name", ""))[:100],
            "payload": json.dumps(job.to_dict(), ensure_ascii=False),
            "updated_at": now,
        }
        with store.writer.begin() as conn:
            row = conn.execute(
                select(batch_jobs.c.state).where(batch_jobs.c.digest == job.digest)
            ).first()
            if existing is not None:
                state = {"state": "done", "campaign_id": existing, "error": None}
                decided[job.digest] = existing
            else:
                decided[job.digest] = "send"
                state = {}
                if row is None or row.state in ("failed", "done"):
                    state = {"state": "queued", "error": None, "lease_until": None}
            if row is None:
                fresh = {"state": "queued", "attempts": 0, "created_at": now}
                conn.execute(
                    batch_jobs.insert().values(digest=job.digest, **(values | fresh | state))
                )
            else:
                conn.execute(
                    update(batch_jobs)
                    .where(batch_jobs.c.digest == job.digest)
                    .values(**(values | state))
                )
    return decided


@dataclass(frozen=True)
class Claim:
    outcome: str  # claimed | done | busy | failed
    campaign_id: str | None = None
    wait: float = 0.0  # busy: seconds until the other worker's lease runs out


def claim(store: Store, job: CanvasJob, worker: str, lease: float) -> Claim:
    """Take the canvas for `worker` for `lease` seconds, atomically: one UPDATE whose condition
    only a queued canvas, or one whose last worker's lease has run out, meets."""
    now = utc_now()
    until = now + dt.timedelta(seconds=lease)
    with store.engine.connect() as conn:
        known = conn.execute(
            select(batch_jobs.c.digest).where(batch_jobs.c.digest == job.digest)
        ).first()
    if known is None:  # a message from a producer that did not record it
        record(store, [job])
    existing = store.find_campaign(job.digest)
    if existing is not None:
        finish(store, job.digest, existing)
        return Claim("done", existing)
    with store.writer.begin() as conn:
        taken = conn.execute(
            update(batch_jobs)
            .where(
                batch_jobs.c.digest == job.digest,
                (batch_jobs.c.state == "queued")
                | (
                    (batch_jobs.c.state == "running")
                    & ((batch_jobs.c.lease_until < now) | (batch_jobs.c.worker == worker))
                ),
            )
            .values(
                state="running",
                worker=worker[:100],
                lease_until=until,
                attempts=batch_jobs.c.attempts + 1,
                started_at=now,
                updated_at=now,
            )
        ).rowcount
        if taken == 1:
            return Claim("claimed")
        row = conn.execute(
            select(batch_jobs.c.state, batch_jobs.c.campaign_id, batch_jobs.c.lease_until).where(
                batch_jobs.c.digest == job.digest
            )
        ).first()
    if row.state == "done":
        return Claim("done", row.campaign_id)
    if row.state == "failed":
        return Claim("failed")
    left = (_utc(row.lease_until) - now).total_seconds() if row.lease_until else 0.0
    return Claim("busy", wait=max(0.0, left))


def renew(store: Store, digest: str, worker: str, lease: float) -> bool:
    """Extend this worker's lease; False when the canvas is no longer its own."""
    now = utc_now()
    with store.engine.begin() as conn:
        return (
            conn.execute(
                update(batch_jobs)
                .where(
                    batch_jobs.c.digest == digest,
                    batch_jobs.c.worker == worker[:100],
                    batch_jobs.c.state == "running",
                )
                .values(lease_until=now + dt.timedelta(seconds=lease), updated_at=now)
            ).rowcount
            == 1
        )


def finish(store: Store, digest: str, campaign_id: str) -> None:
    now = utc_now()
    with store.engine.begin() as conn:
        conn.execute(
            update(batch_jobs)
            .where(batch_jobs.c.digest == digest)
            .values(
                state="done",
                campaign_id=campaign_id,
                error=None,
                lease_until=None,
                updated_at=now,
                finished_at=now,
            )
        )


def fail(store: Store, digest: str, reason: str) -> None:
    """A permanent failure, with its Chinese reason; the canvas waits for a retry by hand."""
    now = utc_now()
    with store.engine.begin() as conn:
        conn.execute(
            update(batch_jobs)
            .where(batch_jobs.c.digest == digest, batch_jobs.c.state != "done")
            .values(state="failed", error=reason, lease_until=None, updated_at=now, finished_at=now)
        )


def release(store: Store, digest: str, worker: str, reason: str) -> None:
    """A transient failure: the canvas is queued again (the queue retries it) with the reason."""
    now = utc_now()
    with store.engine.begin() as conn:
        conn.execute(
            update(batch_jobs)
            .where(
                batch_jobs.c.digest == digest,
                batch_jobs.c.worker == worker[:100],
                batch_jobs.c.state == "running",
            )
            .values(state="queued", error=f"稍后重试：{reason}", lease_until=None, updated_at=now)
        )


def latest_batch(store: Store) -> str | None:
    with store.engine.connect() as conn:
        return conn.execute(
            select(batch_jobs.c.batch_id).order_by(batch_jobs.c.updated_at.desc()).limit(1)
        ).scalar()


def rows(
    store: Store, batch_id: str | None = None, digests: Iterable[str] | None = None
) -> list[JobRow]:
    """The jobs of one batch (or the given canvases), in the order they were asked for."""
    query = select(batch_jobs).order_by(batch_jobs.c.created_at, batch_jobs.c.source)
    if batch_id is not None:
        query = query.where(batch_jobs.c.batch_id == batch_id)
    if digests is not None:
        query = query.where(batch_jobs.c.digest.in_(list(digests)))
    with store.engine.connect() as conn:
        found = conn.execute(query).all()
    return [
        JobRow(
            **{
                name: _utc(v) if isinstance(v, dt.datetime) else v
                for name, v in r._mapping.items()
                if name in JobRow.__dataclass_fields__
            }
        )
        for r in found
    ]


def payloads(store: Store, digests: Iterable[str]) -> list[CanvasJob]:
    with store.engine.connect() as conn:
        found = conn.execute(
            select(batch_jobs.c.payload).where(batch_jobs.c.digest.in_(list(digests)))
        ).scalars()
        return [CanvasJob.from_dict(json.loads(raw)) for raw in found]


def requeue(store: Store, digests: Iterable[str]) -> None:
    """Failed canvases back to the queue (by hand: `batch --retry-failed`)."""
    now = utc_now()
    with store.engine.begin() as conn:
        conn.execute(
            update(batch_jobs)
            .where(batch_jobs.c.digest.in_(list(digests)), batch_jobs.c.state == "failed")
            .values(state="queued", error=None, updated_at=now, finished_at=None)
        )
