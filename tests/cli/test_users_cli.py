"""`callwise users create / roles / token`: the first administrator, role changes and machine tokens."""

from sqlalchemy import select

from callwise.ops import audit
from callwise.ops.db import transaction
from callwise.ops.models import AuditEntry
from callwise.ops.users import login, principal_for

PASSWORD = "Correct-Horse-42"


def entries(db, action: str) -> list[AuditEntry]:
    with db() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.entry_id)))


def test_bootstrap_admin_from_stdin_can_sign_in(migrated, db):
    created = migrated.json("users", "create", "root", "--role", "admin", "--password-stdin", input=PASSWORD + "\n")
    assert created["username"] == "root" and created["roles"] == ["admin"]
    with transaction(db) as s:
        assert login(s, "root", PASSWORD, "127.0.0.1").status == "ok"
    with transaction(db) as s:
        assert login(s, "root", PASSWORD + "\n", "127.0.0.1").status == "failed"  # the line ending is not kept
    (entry,) = entries(db, "user.create")
    assert entry.actor == "cli" and entry.target == "user:root" and entry.detail == {"roles": ["admin"]}


def test_prompted_password_is_asked_twice_and_never_echoed(migrated, db):
    result = migrated.run(
        "users", "create", "sam", "--role", "supervisor", "--role", "agent", input=f"{PASSWORD}\n" * 2
    )
    assert result.exit_code == 0, result.output
    assert "Password for sam" in result.output and "Repeat the password" in result.output
    assert PASSWORD not in result.output and "created user sam with roles: agent, supervisor" in result.output
    with transaction(db) as s:
        assert login(s, "sam", PASSWORD, "127.0.0.1").status == "ok"


def test_a_mistyped_confirmation_creates_nobody(migrated, db):
    result = migrated.run("users", "create", "sam", "--role", "agent", input=f"{PASSWORD}\nCorrect-Horse-43\n")
    assert result.exit_code != 0 and "do not match" in result.output
    assert entries(db, "user.create") == []


def test_the_password_is_never_an_argument(migrated):
    result = migrated.run("users", "create", "root", "--role", "admin", "--password", PASSWORD)
    assert result.exit_code == 2 and "No such option" in result.output


def test_bad_stdin_passwords_are_refused_with_a_sentence(migrated, db):
    cases = {"": "no password on standard input", "\n": "no password on standard input"}
    cases[f"{PASSWORD}\nsecond line\n"] = "must be one line"
    for given, sentence in cases.items():
        result = migrated.run("users", "create", "root", "--role", "admin", "--password-stdin", input=given)
        assert result.exit_code == 2 and sentence in result.stderr, given
    assert entries(db, "user.create") == []


def test_a_weak_password_is_refused_in_the_chosen_language(migrated, monkeypatch):
    args = ("users", "create", "root", "--role", "admin", "--password-stdin")
    result = migrated.run(*args, input="short\n")
    assert result.exit_code == 2 and "at least 10 characters" in result.stderr
    monkeypatch.setenv("CALLWISE_LANG", "zh")
    result = migrated.run(*args, input="rootroot-Password1\n")
    assert result.exit_code == 2 and "密码不能包含用户名" in result.stderr


def test_refusals_name_what_is_wrong(migrated):
    stdin = PASSWORD + "\n"
    assert "give at least one role" in migrated.run("users", "create", "x", "--password-stdin", input=stdin).stderr
    unknown = migrated.run("users", "create", "x", "--role", "root", "--password-stdin", input=stdin)
    assert unknown.exit_code == 2 and "unknown role 'root'" in unknown.stderr
    bad_name = migrated.run("users", "create", "two words", "--role", "agent", "--password-stdin", input=stdin)
    assert bad_name.exit_code == 2 and "user name 'two words' is not valid" in bad_name.stderr
    assert migrated.run("users", "create", "x", "--role", "agent", "--password-stdin", input=stdin).exit_code == 0
    again = migrated.run("users", "create", "x", "--role", "agent", "--password-stdin", input=stdin)
    assert again.exit_code == 2 and "user 'x' exists already" in again.stderr


def test_roles_are_replaced_and_audited_with_before_and_after(migrated, db):
    migrated.run("users", "create", "ana", "--role", "analyst", "--password-stdin", input=PASSWORD)
    changed = migrated.json("users", "roles", "ana", "--role", "auditor", "--role", "analyst")
    assert changed == {"username": "ana", "roles": ["analyst", "auditor"]}
    (entry,) = entries(db, "user.roles")
    assert entry.actor == "cli" and entry.detail == {"before": ["analyst"], "after": ["analyst", "auditor"]}
    missing = migrated.run("users", "roles", "nobody", "--role", "agent")
    assert missing.exit_code == 2 and "no user 'nobody'" in missing.stderr
    assert migrated.run("users", "roles", "ana").exit_code == 2
    assert "unknown role 'boss'" in migrated.run("users", "roles", "ana", "--role", "boss").stderr


def test_a_machine_token_is_printed_once_and_carries_its_scopes(migrated, db):
    result = migrated.run("users", "token", "dialer-a", "--scope", "outcomes:write", "--scope", "lists:read")
    assert result.exit_code == 0, result.output
    notice, secret = result.stdout.strip().splitlines()
    assert "machine token dialer-a" in notice and "shown only this once" in notice and secret.startswith("cw_")
    with db() as s:
        principal = principal_for(s, secret)
    assert principal.kind == "machine" and principal.permissions == {"outcomes:write", "lists:read"}
    (entry,) = entries(db, "token.create")
    assert entry.actor == "cli" and secret not in str(entry.detail) and entry.detail["days"] == 90
    data = migrated.json("users", "token", "crm", "--scope", "customers:read dnc:write", "--days", "7")
    assert data["scopes"] == ["customers:read", "dnc:write"] and data["token"] != secret
    with db() as s:
        assert principal_for(s, data["token"]).name == "crm"
        assert audit.verify(s).ok


def test_token_refusals(migrated):
    no_scope = migrated.run("users", "token", "d")
    assert no_scope.exit_code == 2 and "give at least one scope" in no_scope.stderr
    typo = migrated.run("users", "token", "d", "--scope", "outcome:write")
    assert typo.exit_code == 2 and "did you mean 'outcomes:write'" in typo.stderr
    for days in ("0", "367"):
        result = migrated.run("users", "token", "d", "--scope", "lists:read", "--days", days)
        assert result.exit_code == 2 and "a machine token lives 1 to 366 days" in result.stderr


def test_user_commands_refuse_an_unmigrated_database(operator):
    result = operator.run("users", "create", "root", "--role", "admin", "--password-stdin", input=PASSWORD)
    assert result.exit_code == 2 and "run `callwise db upgrade` first" in result.stderr
    assert not operator.db_path.exists()


def test_nobody_is_asked_for_a_password_that_would_be_refused_anyway(operator):
    unmigrated = operator.run("users", "create", "root", "--role", "admin", input=f"{PASSWORD}\n" * 2)
    assert unmigrated.exit_code == 2 and "Password" not in unmigrated.output
    assert operator.run("db", "upgrade").exit_code == 0
    unknown_role = operator.run("users", "create", "root", "--role", "boss", input=f"{PASSWORD}\n" * 2)
    assert unknown_role.exit_code == 2 and "unknown role 'boss'" in unknown_role.stderr
    assert "Password" not in unknown_role.output


def test_the_command_line_keeps_the_last_administrator_and_gives_no_machine_token_users_admin(migrated, monkeypatch):
    migrated.run("users", "create", "root", "--role", "admin", "--password-stdin", input=PASSWORD)
    last = migrated.run("users", "roles", "root", "--role", "analyst")
    assert last.exit_code == 2
    assert last.stderr.strip() == (
        "error: root is the last administrator and keeps the role; make another user an administrator first."
    )
    token = migrated.run("users", "token", "ops-bot", "--scope", "users:admin", "--scope", "lists:read")
    assert token.exit_code == 2 and "A machine token never holds users:admin" in token.stderr
    monkeypatch.setenv("CALLWISE_LANG", "zh")
    zh = migrated.run("users", "roles", "root", "--role", "analyst")
    assert zh.exit_code == 2 and "root 是最后一位系统管理员" in zh.stderr
    migrated.run("users", "create", "second", "--role", "admin", "--password-stdin", input=PASSWORD)
    assert migrated.json("users", "roles", "root", "--role", "analyst")["roles"] == ["analyst"]
