"""CLI: `callwise users create / roles / scope / token` — accounts, roles and machine tokens, audited as actor "cli".

The first administrator is created here (the API needs a signed-in administrator to create users). A
password never comes from the command line, where it would stay in the shell history and the process list.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from callwise.cli._output import emit, fail
from callwise.i18n import t
from callwise.settings import get_settings

RoleOption = Annotated[list[str] | None, typer.Option("--role", help="help.opt.role")]


def register(app: typer.Typer) -> None:
    users = typer.Typer(no_args_is_help=True, help="help.users")
    app.add_typer(users, name="users")

    @users.command("create", help="help.users.create")
    def create(
        name: Annotated[str, typer.Argument(help="help.users.create.name")],
        role: RoleOption = None,
        password_stdin: Annotated[
            bool, typer.Option("--password-stdin", help="help.users.create.password_stdin")
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="help.users.create.as_json")] = False,
    ) -> None:
        """Create a user with roles; the password is read from standard input or asked for (never an argument)."""
        from callwise.cli._ops import ACTOR, lang, operational_db
        from callwise.ops.db import transaction
        from callwise.ops.users import UserError, create_user
        from callwise.security.errors import WeakPasswordError

        language = lang()
        roles = _roles(role, language)
        _check_name(name)
        with operational_db() as factory:  # opened first: nobody types a password for a database that refuses
            password = _stdin_password(language) if password_stdin else _prompt_password(name, language)
            try:
                with transaction(factory) as session:
                    user = create_user(session, name, password, roles, ACTOR, None)
            except WeakPasswordError as error:
                fail(t(f"security.password.{error.code}", language, **error.values))
            except UserError as error:
                fail(error)
        shown = ", ".join(sorted(set(roles)))
        result = {"username": user.username, "roles": sorted(set(roles)), "created_at": user.created_at}
        emit(result, as_json, human=t("cli.users.created", language, name=user.username, roles=shown))

    @users.command("roles", help="help.users.roles")
    def roles_(
        name: Annotated[str, typer.Argument(help="help.users.roles.name")],
        role: RoleOption = None,
        as_json: Annotated[bool, typer.Option("--json", help="help.users.roles.as_json")] = False,
    ) -> None:
        """Replace a user's roles with the ones given (audited with the roles before and after)."""
        from callwise.cli._ops import ACTOR, lang, operational_db
        from callwise.ops.db import transaction
        from callwise.ops.users import UserError, set_roles
        from callwise.security.errors import DutyRefused

        language = lang()
        wanted = _roles(role, language)
        with operational_db() as factory:
            try:
                with transaction(factory) as session:
                    after = set_roles(session, name, wanted, ACTOR, None)
            except UserError as error:
                fail(error)
            except DutyRefused as error:
                fail(error.message(language))
        emit(
            {"username": name, "roles": after},
            as_json,
            human=t("cli.users.roles", language, name=name, roles=", ".join(after)),
        )

    @users.command("scope", help="help.users.scope")
    def scope(
        name: Annotated[str, typer.Argument(help="help.users.scope.name")],
        agent_id: Annotated[str | None, typer.Option("--agent-id", help="help.users.scope.agent_id")] = None,
        teams: Annotated[str | None, typer.Option("--teams", help="help.users.scope.teams")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="help.users.scope.as_json")] = False,
    ) -> None:
        """Link a user to the agent they are and the teams they run (audited with the values before and after)."""
        from callwise.cli._ops import ACTOR, lang, operational_db
        from callwise.ops.db import transaction
        from callwise.ops.scope import scope_of, set_scope
        from callwise.ops.users import UserError

        language = lang()
        with operational_db() as factory:
            try:
                with transaction(factory) as session:
                    if agent_id is None and teams is None:
                        after = scope_of(session, name)
                    else:
                        after = set_scope(session, name, ACTOR, None, agent_id=agent_id, teams=teams)
            except UserError as error:
                fail(error)
        none = t("board.agents.scope.none", language)
        human = t(
            "board.agents.scope.done",
            language,
            name=name,
            agent_id=after.agent_id or none,
            teams=", ".join(after.teams) or none,
        )
        emit({"username": name, **after.to_json()}, as_json, human=human)

    @users.command("token", help="help.users.token")
    def token(
        name: Annotated[str, typer.Argument(help="help.users.token.name")],
        scope: Annotated[list[str] | None, typer.Option("--scope", help="help.users.token.scope")] = None,
        days: Annotated[int, typer.Option(help="help.users.token.days")] = 90,
        as_json: Annotated[bool, typer.Option("--json", help="help.users.token.as_json")] = False,
    ) -> None:
        """Create a machine token for a dialer or CRM system; the secret is printed once and never stored."""
        from callwise.cli._ops import ACTOR, lang, operational_db
        from callwise.ops.db import transaction
        from callwise.ops.users import Principal, UserError, create_machine_token
        from callwise.security.errors import DutyRefused, UnknownScopeError
        from callwise.security.rbac import ALL_PERMISSIONS
        from callwise.security.tokens import Scopes

        language = lang()
        if not scope:
            fail(t("cli.users.no_scope", language))
        try:
            scopes = Scopes.parse(" ".join(scope))  # each --scope may also hold several, "a b" or "a,b"
        except UnknownScopeError as error:
            fail(error)
        # The operator at the command line holds the database itself, so the token may carry any permission.
        operator = Principal(ACTOR, "cli", ALL_PERMISSIONS)
        with operational_db() as factory:
            try:
                with transaction(factory) as session:
                    secret, issued = create_machine_token(session, operator, name, scopes, days, None)
            except UserError as error:
                fail(error)
            except DutyRefused as error:
                fail(error.message(language))
        result = {
            "token": secret,
            "token_id": issued.token_id,
            "name": name,
            "scopes": sorted(scopes),
            "expires_at": issued.expires_at,
        }
        expires = issued.expires_at.strftime("%Y-%m-%d %H:%M")
        notice = t(
            "cli.users.token", language, name=name, token_id=issued.token_id, scopes=str(scopes), expires=expires
        )
        emit(result, as_json, human=f"{notice}\n{secret}")


def _roles(given: list[str] | None, language: str) -> list[str]:
    """The roles given, checked before anything is asked or written."""
    from callwise.security.errors import UnknownRoleError
    from callwise.security.rbac import Role, permissions_for

    if not given:
        fail(t("cli.users.no_role", language, roles=", ".join(Role)))
    try:
        permissions_for(given)
    except UnknownRoleError as error:
        fail(error)
    return list(given)


def _check_name(name: str) -> None:
    from callwise.ops.users import USERNAME

    if not USERNAME.fullmatch(name):
        fail(t("cli.users.bad_name", get_settings().lang, name=repr(name)))


def _stdin_password(language: str) -> str:
    """The first line of standard input, without its line ending (spaces are part of a password)."""
    try:
        text = sys.stdin.read()
    except UnicodeDecodeError:
        fail(t("cli.users.stdin_encoding", get_settings().lang))
    password = text.removesuffix("\n").removesuffix("\r")
    if not password:
        fail(t("cli.users.stdin_empty", language))
    if "\n" in password or "\r" in password:
        fail(t("cli.users.stdin_lines", language))
    return password


def _prompt_password(name: str, language: str) -> str:
    return typer.prompt(
        t("cli.users.password", language, name=name),
        hide_input=True,
        confirmation_prompt=t("cli.users.password_again", language),
    )
