"""The demo's own pieces: its throw-away key ring, and the service over a demo's output (`callwise serve --demo`).

Without PII keys in the settings the demo makes a key ring under its output folder (``OUT/keys/demo-keys.env``),
so ``make demo`` stays one command and still stores no personal data in clear. `callwise serve --demo OUT` then
turns that folder into a working service in one step: a migrated SQLite file in it, the demo's customers synced,
its model registered and promoted, the demo board seeded (:mod:`callwise.demo_board`; `callwise demo` seeds it
already), and one demo user per role, each with a fresh password shown once.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from callwise.i18n import t
from callwise.models.base import CARD as CARD_FILE
from callwise.ops import audit
from callwise.ops.customers import SyncReport
from callwise.security.crypto import LOOKUP_KEY_SETTING, PII_KEYS_SETTING, demo_key_ring
from callwise.security.files import private_dir, private_file
from callwise.security.pii import Pii
from callwise.settings import Settings, get_settings

if TYPE_CHECKING:
    from callwise.demo_board import BoardData, DemoUser
    from callwise.lake import Lake

DEMO_KEYS = Path("keys") / "demo-keys.env"
DEMO_MODEL = Path("models") / "lightgbm"  # where `callwise demo` saves its response model
DEMO_UPLIFT = Path("models") / "uplift"  # the uplift model the demo board trains, registers and ranks a list by
DEMO_ADMIN = "demo-admin"
DEMO_MODEL_NAME, DEMO_MODEL_VERSION = "response", "demo"
ACTOR = "cli"


class DemoOutputError(ValueError):
    """The folder is not the output of `callwise demo`; the message names it and the command that makes it."""


@dataclass(frozen=True)
class DemoService:
    """What `callwise serve --demo` prepared; the passwords are shown once and kept nowhere."""

    admin: str
    password: str = field(repr=False)
    model_version: str
    synced: SyncReport
    users: tuple[DemoUser, ...] = ()  # one per role, the administrator first (its password is ``password``)
    board: BoardData | None = None  # what the seeding added, when this start seeded the board


def demo_keys(out: Path, settings: Settings | None = None) -> tuple[Pii, Path | None]:
    """The settings' keys; when none are set, a throw-away ring in ``out/keys/demo-keys.env`` (0600) and its path.

    An existing demo ring there is used again, so a second demo run into the same folder can read the first.
    """
    settings = settings or get_settings()
    if settings.pii_keys is not None or settings.lookup_key is not None:
        return Pii.from_settings(settings), None  # keys set (or half set: refused there, naming the missing one)
    path = out / DEMO_KEYS
    if not path.exists():
        private_dir(path.parent)
        private_file(path)
        path.write_text("".join(f"{k}={v}\n" for k, v in demo_key_ring().items()), encoding="utf-8")
    ring = _read_ring(path)
    return Pii.from_settings(Settings(pii_keys=ring[PII_KEYS_SETTING], lookup_key=ring[LOOKUP_KEY_SETTING])), path


def _read_ring(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if "=" in line)


def demo_service_env(out: Path, settings: Settings) -> dict[str, str]:
    """The CALLWISE_* settings of a service over the demo in ``out``: its folder as the data directory, a SQLite
    file in it, and the keys the demo sealed its data with (the settings' own, else its demo ring)."""
    missing = [name for name in ("summary.json", "lake", str(DEMO_MODEL / CARD_FILE)) if not (out / name).exists()]
    if missing:
        raise DemoOutputError(t("cli.serve.not_demo", settings.lang, path=out, missing=missing[0]))
    out = out.resolve()
    env = {"CALLWISE_DATA_DIR": str(out), "CALLWISE_DB_URL": f"sqlite:///{out / 'callwise.db'}"}
    if settings.pii_keys is None and settings.lookup_key is None and (out / DEMO_KEYS).is_file():
        ring = _read_ring(out / DEMO_KEYS)
        env.update({key: ring[key] for key in (PII_KEYS_SETTING, LOOKUP_KEY_SETTING)})
    return env


def demo_settings(out: Path, settings: Settings) -> Settings:
    """``settings`` pointed at the demo in ``out`` (:func:`demo_service_env`), without touching the environment."""
    env = demo_service_env(out, settings)
    return Settings.model_validate(
        {**settings.model_dump(), **{k.removeprefix("CALLWISE_").lower(): v for k, v in env.items()}}
    )


def prepare_demo_service(settings: Settings, users: bool = True) -> DemoService:
    """Migrate the database, sync the demo's customers, register and promote its model, seed the board when it is
    not there yet (:mod:`callwise.demo_board`), and (re)make the demo users, one per role, each with a new password
    (``users=False``: none, the passwords are left as they are). ``settings`` are those of
    :func:`demo_service_env`. Safe to repeat."""
    from callwise.demo_board import demo_users
    from callwise.lake import open_lake
    from callwise.ops.customers import sync_customers
    from callwise.ops.db import make_engine, session_factory, transaction
    from callwise.ops.migrate import upgrade

    Pii.from_settings(settings)  # the keys first: a demo sealed with other keys is refused before any write
    engine = make_engine(settings.database_url())
    try:
        upgrade(engine)
        factory = session_factory(engine)
        lake = open_lake(settings=settings)
        synced = sync_customers(factory, lake)
        with transaction(factory) as session:
            version = _promote_demo_model(session, settings.data_dir / DEMO_MODEL)
        board = _seed_once(factory, lake, settings)
        made = demo_users(factory, *_scope(factory, lake)) if users else ()
    finally:
        engine.dispose()
    admin = next((u for u in made if u.username == DEMO_ADMIN), None)
    return DemoService(DEMO_ADMIN, admin.password if admin else "", version, synced, made, board)


def _seed_once(factory: sessionmaker[Session], lake: Lake, settings: Settings) -> BoardData | None:
    """The board's campaigns and outcomes, unless a start before seeded them or the folder has no synthetic bank;
    seeded from the demo's own bank, model and seed (``summary.json``)."""
    import json

    from callwise.demo_board import is_seeded, seed_data, seed_moments, seed_segments, seed_tags, seed_uplift
    from callwise.models import load_model

    with factory() as session:
        if is_seeded(session):
            return None
    if not (settings.data_dir / "bank" / "_truth" / "meta.json").is_file():
        return None  # no synthetic bank with its truth beside the lake: nothing to simulate calls from
    seed = int(json.loads((settings.data_dir / "summary.json").read_text(encoding="utf-8")).get("seed", 7))
    model = load_model(settings.data_dir / DEMO_MODEL)
    data = seed_data(factory, lake, settings.data_dir / "bank", seed, model=model, settings=settings)
    seed_uplift(factory, lake, settings.data_dir / DEMO_UPLIFT, seed, settings=settings)
    seed_tags(lake, data.today)
    seed_segments(lake, data.today)
    seed_moments(lake, data.today)
    _seed_journeys(factory, lake, settings, data.today)
    return data


def _seed_journeys(factory: sessionmaker[Session], lake: Lake, settings: Settings, today: date) -> None:
    """The example journey walked by the demo's customers over the last days (the journeys page)."""
    from datetime import UTC, datetime, time

    from callwise.journeys.demo import seed_journeys
    from callwise.journeys.gate import lake_facts
    from callwise.wiring import policy_from_settings

    policy = policy_from_settings(settings)
    now = datetime.combine(today, time(12, 0), tzinfo=UTC)
    seed_journeys(factory, policy, lake_facts(lake, policy, now), now, bank_timezone=settings.timezone)


def _scope(factory: sessionmaker[Session], lake: Lake) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The teams and agents of the seeded board, busiest first: the demo supervisor's and agent's scope."""
    from callwise.demo_board import busiest, demo_campaign_ids

    with factory() as session:
        agents, teams = busiest(session, lake, demo_campaign_ids(session))
    return teams, agents


def _promote_demo_model(session: Session, directory: Path) -> str:
    """The demo's model registered as ``response``/``demo`` and made the active one, both audited as the API does."""
    import json

    from callwise.clock import utcnow
    from callwise.ops.models import ModelVersion

    row = session.scalars(
        select(ModelVersion).where(ModelVersion.name == DEMO_MODEL_NAME, ModelVersion.version == DEMO_MODEL_VERSION)
    ).first()
    if row is None:
        card = json.loads((directory / CARD_FILE).read_text(encoding="utf-8"))
        row = ModelVersion(
            name=DEMO_MODEL_NAME, version=DEMO_MODEL_VERSION, path=str(directory.resolve()), card=card, active=False
        )
        session.add(row)
        session.flush()
        audit.append(session, ACTOR, "model.register", f"model:{DEMO_MODEL_NAME}:{DEMO_MODEL_VERSION}", {})
    if not row.active:
        before = session.scalar(
            select(ModelVersion.version).where(ModelVersion.name == DEMO_MODEL_NAME, ModelVersion.active.is_(True))
        )
        session.execute(update(ModelVersion).where(ModelVersion.name == DEMO_MODEL_NAME).values(active=False))
        row.active, row.promoted_at, row.promoted_by = True, utcnow(), ACTOR
        detail = {"before": before, "after": DEMO_MODEL_VERSION}
        audit.append(session, ACTOR, "model.promote", f"model:{DEMO_MODEL_NAME}", detail)
    return row.version


def new_password(length: int = 16) -> str:
    """A random password of letters and digits that always holds both kinds (the password policy)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        if any(c.isdigit() for c in password) and any(c.isalpha() for c in password):
            return password
