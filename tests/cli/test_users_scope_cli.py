"""`callwise users scope`: link a user to an agent id and teams, audited like a change of roles, in zh and en."""

from sqlalchemy import select

from callwise.ops.models import AuditEntry, User

PASSWORD = "Correct-Horse-42"


def _create(migrated, name: str, role: str) -> None:
    done = migrated.run("users", "create", name, "--role", role, "--password-stdin", input=PASSWORD + "\n")
    assert done.exit_code == 0, done.output


def test_scope_is_set_kept_cleared_and_audited(migrated, db):
    _create(migrated, "sam", "supervisor")
    first = migrated.json("users", "scope", "sam", "--teams", "综合组  信用卡组 综合组")
    assert first == {"username": "sam", "agent_id": None, "teams": ["综合组", "信用卡组"]}
    second = migrated.json("users", "scope", "sam", "--agent-id", "A0003")  # teams left out: kept
    assert second["agent_id"] == "A0003" and second["teams"] == ["综合组", "信用卡组"]
    shown = migrated.run("users", "scope", "sam")  # neither option: shows, changes nothing
    assert shown.exit_code == 0 and "user sam: agent id A0003; teams 综合组, 信用卡组" in shown.stdout
    cleared = migrated.json("users", "scope", "sam", "--teams", "")
    assert cleared["teams"] == [] and cleared["agent_id"] == "A0003"
    with db() as s:
        user = s.scalars(select(User).where(User.username == "sam")).one()
        assert (user.agent_id, user.teams) == ("A0003", None)
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "user.scope")))
    assert [e.actor for e in entries] == ["cli"] * 3 and entries[0].target == "user:sam"
    assert entries[0].detail == {
        "before": {"agent_id": None, "teams": []},
        "after": {"agent_id": None, "teams": ["综合组", "信用卡组"]},
    }
    assert entries[2].detail["before"]["teams"] == ["综合组", "信用卡组"]


def test_refusals_are_one_sentence_in_both_languages(migrated, db, monkeypatch):
    _create(migrated, "ann", "agent")
    unknown = migrated.run("users", "scope", "nobody", "--agent-id", "A1")
    assert unknown.exit_code == 2 and "there is no user 'nobody'" in unknown.stderr
    bad = migrated.run("users", "scope", "ann", "--agent-id", "A 1; drop")
    assert bad.exit_code == 2 and "agent id 'A 1; drop' is not valid" in bad.stderr
    assert "Traceback" not in bad.output
    monkeypatch.setenv("CALLWISE_LANG", "zh")
    zh = migrated.run("users", "scope", "nobody", "--teams", "T1")
    assert zh.exit_code == 2 and "没有用户 'nobody'" in zh.stderr
    done = migrated.run("users", "scope", "ann", "--agent-id", "A0001")
    assert done.exit_code == 0 and "用户 ann：坐席编号 A0001；团队 （无）" in done.stdout
    with db() as s:
        actions = [e.action for e in s.scalars(select(AuditEntry).where(AuditEntry.action == "user.scope"))]
    assert actions == ["user.scope"]  # the refusals wrote nothing
