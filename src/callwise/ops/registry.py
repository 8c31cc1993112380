"""The model registry's changes: promote a version, roll back to the one before; each audited with before/after.

One place for them, so the API (``web/routes/models.py``) and the board's confirmation form do exactly the
same thing. ``rollback_target`` answers "what would a roll back do" without doing it, for the confirmation.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from callwise.clock import utcnow
from callwise.i18n.errors import Translated
from callwise.ops import audit
from callwise.ops.models import ModelVersion


class RegistryError(Translated, LookupError):
    """A registry change that cannot be done; ``code`` is ``not_found`` or ``conflict``."""

    def __init__(self, code: str, key: str, **values: object) -> None:
        super().__init__(key, **values)
        self.code = code


def active_version(session: Session, name: str) -> ModelVersion | None:
    query = select(ModelVersion).where(ModelVersion.name == name, ModelVersion.active.is_(True))
    return session.scalars(query).first()


def promote(session: Session, model_id: int, actor: str, ip: str | None) -> ModelVersion:
    """Make ``model_id`` the active version of its name."""
    row = session.get(ModelVersion, model_id)
    if row is None:
        raise RegistryError("not_found", "board.models.error.not_found", model_id=model_id)
    before = active_version(session, row.name)
    _activate(session, row, actor)
    detail = {"before": None if before is None else before.version, "after": row.version}
    audit.append(session, actor, "model.promote", f"model:{row.name}", detail, ip)
    return row


def rollback_target(session: Session, name: str) -> tuple[ModelVersion, ModelVersion] | None:
    """(active, the version promoted just before it) of ``name``, or None when there is nothing to go back to."""
    versions = session.scalars(
        select(ModelVersion)
        .where(ModelVersion.name == name, ModelVersion.promoted_at.is_not(None))
        .order_by(ModelVersion.promoted_at.desc())
    ).all()
    active = next((v for v in versions if v.active), None)
    if active is None or active.promoted_at is None:
        return None
    latest = active.promoted_at
    earlier = [v for v in versions if not v.active and v.promoted_at is not None and v.promoted_at < latest]
    return (active, earlier[0]) if earlier else None


def rollback(session: Session, name: str, actor: str, ip: str | None) -> ModelVersion:
    """Re-activate the version promoted before the active one of ``name``."""
    target = rollback_target(session, name)
    if target is None:
        raise RegistryError("conflict", "board.models.error.no_earlier", name=name)
    active, earlier = target
    _activate(session, earlier, actor)
    detail = {"before": active.version, "after": earlier.version}
    audit.append(session, actor, "model.rollback", f"model:{name}", detail, ip)
    return earlier


def _activate(session: Session, row: ModelVersion, actor: str) -> None:
    session.execute(update(ModelVersion).where(ModelVersion.name == row.name).values(active=False))
    row.active, row.promoted_at, row.promoted_by = True, utcnow(), actor
    session.flush()
