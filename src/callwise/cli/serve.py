"""CLI: `callwise serve` — the REST API under uvicorn, started only when keys and database are in order."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated

import typer

from callwise.cli._output import fail
from callwise.i18n import t

APP_FACTORY = "callwise.web.server:app_from_env"


def register(app: typer.Typer) -> None:
    @app.command("serve", help="help.serve")
    def serve(
        host: Annotated[str, typer.Option(help="help.serve.host")] = "127.0.0.1",
        port: Annotated[int, typer.Option(min=1, max=65535, help="help.serve.port")] = 8000,
        workers: Annotated[int, typer.Option(min=1, max=64, help="help.serve.workers")] = 1,
        forwarded_allow_ips: Annotated[
            str | None,
            typer.Option(help="help.serve.forwarded_allow_ips"),
        ] = None,
        demo: Annotated[
            Path | None,
            typer.Option(help="help.serve.demo"),
        ] = None,
    ) -> None:
        """Serve the API and its OpenAPI page (/api/v1/docs); refuses without keys or with an unmigrated database."""
        from sqlalchemy.exc import SQLAlchemyError

        from callwise.cli._ops import first_line
        from callwise.ops.connect import SchemaNotCurrent, require_current, shown_url
        from callwise.security.errors import KeyConfigError
        from callwise.settings import get_settings
        from callwise.wiring import ServiceConfigError, build_services

        if demo is not None:
            _prepare_demo(demo, host, port)
        settings = get_settings()
        listed = settings.forwarded_allow_ips if forwarded_allow_ips is None else forwarded_allow_ips
        proxies = trusted_proxies(listed, settings.lang)
        # Every worker builds the same services from the same settings; building them once here turns a missing
        # key or an unmigrated database into one sentence before uvicorn starts, not a traceback per worker.
        try:
            require_current(settings.database_url())  # first, so a missing SQLite file is not created empty
            services = build_services(settings)
        except (SchemaNotCurrent, ServiceConfigError, KeyConfigError) as error:
            fail(error)
        except SQLAlchemyError as error:
            fail(
                t(
                    "cli.ops.open_failed",
                    settings.lang,
                    url=shown_url(settings.database_url()),
                    problem=first_line(error),
                )
            )
        services.engine.dispose()

        import uvicorn

        typer.echo(t("cli.serve.starting", settings.lang, host=host, port=port, workers=workers), err=True)
        # uvicorn alone reads X-Forwarded-For (ProxyHeadersMiddleware), and only from the proxies listed: its own
        # default would believe any process on this host, so the header is ignored unless proxies are named.
        uvicorn.run(
            APP_FACTORY,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            proxy_headers=bool(proxies),
            forwarded_allow_ips=proxies or None,
        )


def _prepare_demo(out: Path, host: str, port: int) -> None:
    """Point this process (and uvicorn's workers, which inherit it) at the demo in ``out``, make it ready to serve
    (its board seeded if `callwise demo` did not), and print the demo users' new passwords and the board's URL: on
    standard output, once, never to a log."""
    from callwise.cli.board_demo import board_url, users_text
    from callwise.demo import DemoOutputError, demo_service_env, prepare_demo_service
    from callwise.security.errors import KeyConfigError
    from callwise.security.pii import ClearPiiError
    from callwise.settings import get_settings

    settings = get_settings()
    try:
        os.environ.update(demo_service_env(out, settings))
        ready = prepare_demo_service(get_settings())
    except (DemoOutputError, KeyConfigError) as error:
        fail(error)
    except ClearPiiError as error:
        fail(error.message(settings.lang))
    values = {"customers": f"{ready.synced.read:,}", "model": ready.model_version, "user": ready.admin}
    typer.echo(t("cli.serve.demo_ready", settings.lang, **values, password=ready.password))
    others = [user for user in ready.users if user.username != ready.admin]
    typer.echo(users_text(others, board_url(host, port), settings.lang))


def trusted_proxies(listed: str, lang: str) -> list[str]:
    """The proxy addresses and networks in ``listed`` (comma-separated), each checked: a typo must not
    silently trust nobody, or everybody."""
    proxies = [item.strip() for item in listed.split(",") if item.strip()]
    for item in proxies:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            fail(t("cli.serve.bad_proxy", lang, value=item))
    return proxies
