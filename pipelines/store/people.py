"""Sign-in accounts kept in the database, for a team server without a users file."""

from __future__ import annotations

from sqlalchemy import select

from pipelines.store.repo import Store
from pipelines.store.rows import utc_now
from pipelines.store.schema import upsert, users


def database_users(store: Store) -> dict[str, tuple[str, str]]:
    """name → (role, argon2 hash) for every account in the database."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(users.c.name, users.c.role, users.c.password_hash)).all()
    return {name: (role, hashed) for name, role, hashed in rows}


def save_user(store: Store, name: str, role: str, password_hash: str) -> None:
    """Add or replace one account (the hash comes from `pipelines.auth.hash_password`), as one
    upsert, so two processes saving the same name never collide."""
    statement = upsert(
        store.engine, users, "name", name=name, role=role, password_hash=password_hash,
        created_at=utc_now(),
    )  # fmt: skip
    with store.writer.begin() as conn:
        conn.execute(statement)
