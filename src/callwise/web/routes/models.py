"""The model registry: register a saved model, promote a version, roll back to the one before."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from callwise.i18n import t
from callwise.models.base import CARD
from callwise.models.paths import OutsideRoot, confined_tree
from callwise.ops import audit, registry
from callwise.ops.db import transaction
from callwise.ops.models import ModelVersion
from callwise.web.deps import ModelsRead, ModelsWrite, RowId, ServicesDep, client_ip
from callwise.web.errors import ApiError, documented, invalid
from callwise.web.routes._paging import Cursor, Keyset, Limit, Page, keyset_page

MODELS_DIR_SETTING = "$CALLWISE_DATA_DIR/models"  # where build_services puts the models directory

router = APIRouter(prefix="/models", tags=["models"], responses=documented(401, 403))


class ModelIn(BaseModel):
    name: str = Field(default="response", min_length=1, max_length=64, pattern=r"^[a-z0-9_\-]+$")
    version: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    path: str = Field(
        min_length=1, max_length=500, description="a saved model directory under the service's models dir"
    )


class ModelOut(BaseModel):
    model_id: int
    name: str
    version: str
    active: bool
    card: dict[str, Any]
    created_at: datetime
    promoted_at: datetime | None
    promoted_by: str | None


@router.get("", summary="Registered models, newest first, page by page")
def list_models(_: ModelsRead, svc: ServicesDep, cursor: Cursor = None, limit: Limit = 500) -> Page[ModelOut]:
    newest_first = Keyset([ModelVersion.model_id], descending=True)
    with svc.factory() as session:
        found = keyset_page(
            session,
            select(ModelVersion),
            newest_first,
            cursor,
            limit,
            lambda r: ModelOut.model_validate(r, from_attributes=True),
        )
    return Page[ModelOut](**found)


@router.post(
    "", status_code=201, responses=documented(409), summary="Register a saved model directory (with its model card)"
)
def post_model(principal: ModelsWrite, body: ModelIn, request: Request, svc: ServicesDep) -> ModelOut:
    directory = _inside_models_dir(svc.models_dir, body.path)
    try:  # every file under it, the card too, was resolved inside the models directory just now
        card = json.loads((directory / CARD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ApiError(
            422, "validation", details=[{"where": "body.path", "problem": f"no readable {CARD} there"}]
        ) from None
    with transaction(svc.factory) as session:
        exists = select(ModelVersion.model_id).where(
            ModelVersion.name == body.name, ModelVersion.version == body.version
        )
        if session.scalar(exists) is not None:
            raise ApiError(409, "conflict", what=f"model {body.name} version {body.version} exists")
        row = ModelVersion(name=body.name, version=body.version, path=str(directory), card=card, active=False)
        session.add(row)
        session.flush()
        audit.append(
            session, principal.name, "model.register", f"model:{body.name}:{body.version}", {}, client_ip(request)
        )
        return ModelOut.model_validate(row, from_attributes=True)


@router.post("/{model_id}/promote", responses=documented(404), summary="Make this version the active one of its name")
def promote(principal: ModelsWrite, model_id: RowId, request: Request, svc: ServicesDep) -> ModelOut:
    with transaction(svc.factory) as session:
        try:
            row = registry.promote(session, model_id, principal.name, client_ip(request))
        except registry.RegistryError:
            raise ApiError(404, "not_found", what=f"model {model_id}") from None
        return ModelOut.model_validate(row, from_attributes=True)


@router.post(
    "/by-name/{name}/rollback",
    responses=documented(409),
    summary="Re-activate the version promoted before the active one",
)
def rollback(principal: ModelsWrite, name: str, request: Request, svc: ServicesDep) -> ModelOut:
    with transaction(svc.factory) as session:
        try:
            row = registry.rollback(session, name, principal.name, client_ip(request))
        except registry.RegistryError:
            raise ApiError(
                409, "conflict", what=f"model {name} has no earlier promoted version to roll back to"
            ) from None
        return ModelOut.model_validate(row, from_attributes=True)


def _inside_models_dir(models_dir: Path | None, path: str) -> Path:
    """Only directories under the configured models dir, whose every file stays there once symlinks are
    followed: a client must not make the service read anywhere."""
    if models_dir is None:
        raise ApiError(409, "conflict", what="the service has no models directory configured")
    try:
        directory = confined_tree(models_dir, path)
    except OutsideRoot as error:
        raise _path_refused("service.model_path.outside", path=error.path) from None
    except (ValueError, OSError):  # a NUL byte, or a name the file system cannot take
        raise invalid("body.path", "not a usable directory name") from None
    if not directory.is_dir():
        raise _path_refused("service.model_path.missing", path=path)
    return directory


def _path_refused(key: str, **values: str) -> ApiError:
    """A 422 on ``body.path`` in both languages, naming the directory models must be in as the operator sets it
    (``CALLWISE_DATA_DIR/models``), never as a path on the server's disk."""
    values = {**values, "models_dir": MODELS_DIR_SETTING}
    problem = {"where": "body.path", "problem": t(key, "en", **values), "problem_zh": t(key, "zh", **values)}
    return ApiError(422, "validation", details=[problem])
