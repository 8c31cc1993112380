"""The role × permission matrix: least-privilege properties, look-ups, and the README table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from callwise.i18n import catalog
from callwise.security.rbac import (
    ALL_PERMISSIONS,
    PEOPLE_ONLY,
    ROLE_PERMISSIONS,
    Permission,
    Role,
    UnknownRoleError,
    UnknownScopeError,
    has_permission,
    matrix_markdown,
    parse_permission,
    permissions_for,
)

README = Path(__file__).resolve().parents[2] / "README.md"
LISTED = [
    "campaigns:read",
    "campaigns:write",
    "lists:build",
    "lists:read",
    "outcomes:write",
    "outcomes:read",
    "customers:read",
    "pii:read",
    "dnc:write",
    "consent:write",
    "models:read",
    "models:write",
    "metrics:read",
    "users:admin",
    "audit:read",
    "customers:export",
    "customers:erase",
    "keys:rotate",
    "tags:read",
    "tags:sensitive",
    "segments:write",
]


def holders(permission: str) -> set[str]:
    return {role for role, granted in ROLE_PERMISSIONS.items() if permission in granted}


def test_the_permissions_and_roles_are_exactly_the_agreed_ones():
    assert sorted(ALL_PERMISSIONS) == sorted(LISTED)
    assert set(ROLE_PERMISSIONS) == {"admin", "analyst", "supervisor", "agent", "auditor"}
    assert all(granted <= ALL_PERMISSIONS for granted in ROLE_PERMISSIONS.values())


def test_every_permission_is_granted_to_some_role():
    for permission in Permission:
        assert holders(permission), f"{permission} is granted to no role"


def test_auditor_reads_only_and_sees_no_pii():
    granted = ROLE_PERMISSIONS["auditor"]
    assert granted == {"audit:read", "metrics:read"}
    assert all(p.endswith(":read") for p in granted) and "pii:read" not in granted


def test_agent_records_outcomes_but_sees_no_pii():
    granted = ROLE_PERMISSIONS["agent"]
    assert "outcomes:write" in granted and "customers:read" in granted
    assert "pii:read" not in granted and "customers:export" not in granted


def test_separation_of_duties():
    assert holders("users:admin") == {"admin"}
    assert holders("keys:rotate") == {"admin"}
    assert holders("customers:export") == holders("customers:erase") == {"admin"}
    assert holders("pii:read") == {"supervisor"}
    assert holders("audit:read") == {"auditor"}  # the people audited do not read their own trail
    assert holders("dnc:write") == holders("consent:write") == {"supervisor"}
    assert "pii:read" not in ROLE_PERMISSIONS["analyst"]
    assert {"lists:build", "models:write"} <= ROLE_PERMISSIONS["analyst"]
    assert not ({"campaigns:write", "lists:build", "models:write"} & ROLE_PERMISSIONS["admin"])
    assert holders("tags:read") == {"analyst", "supervisor"}
    assert holders("tags:sensitive") == {"analyst"}  # who builds audiences; not the administrator
    assert holders("segments:write") == {"analyst"}


def test_matrix_cannot_be_changed_at_run_time():
    with pytest.raises(TypeError):
        ROLE_PERMISSIONS["agent"] = frozenset({"pii:read"})
    with pytest.raises(AttributeError):
        ROLE_PERMISSIONS["agent"].add("pii:read")


def test_permissions_for_is_the_union_of_roles():
    assert permissions_for([]) == frozenset()
    assert permissions_for(["agent"]) == ROLE_PERMISSIONS["agent"]
    assert permissions_for(["agent", "auditor", "agent"]) == ROLE_PERMISSIONS["agent"] | ROLE_PERMISSIONS["auditor"]
    assert permissions_for((Role.SUPERVISOR,)) == ROLE_PERMISSIONS["supervisor"]


def test_unknown_roles_and_wrong_types_are_refused():
    with pytest.raises(UnknownRoleError, match="unknown role 'Admin'; roles are admin, analyst, supervisor"):
        permissions_for(["agent", "Admin"])
    with pytest.raises(TypeError, match="not a single string"):
        permissions_for("admin")
    with pytest.raises(TypeError, match="a role name must be str, not NoneType"):
        permissions_for([None])


def test_has_permission():
    granted = permissions_for(["agent"])
    assert has_permission(granted, "outcomes:write")
    assert has_permission(granted, Permission.LISTS_READ)
    assert not has_permission(granted, "pii:read")
    assert not has_permission(frozenset(), "campaigns:read")
    assert has_permission(["pii:read"], "pii:read")


def test_has_permission_refuses_a_misspelt_permission_instead_of_denying():
    with pytest.raises(UnknownScopeError, match="unknown permission 'pii:reed'; did you mean 'pii:read'"):
        has_permission({"pii:read"}, "pii:reed")
    with pytest.raises(UnknownScopeError, match="known permissions: campaigns:read"):
        parse_permission("delete-everything")
    with pytest.raises(TypeError, match="not a single string"):
        has_permission("pii:read", "pii:read")
    with pytest.raises(TypeError, match="a permission name must be str, not int"):
        parse_permission(3)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_matrix_markdown_shows_every_grant(lang):
    table = matrix_markdown(lang)
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert len(rows) == len(Permission)
    for row, permission in zip(rows, Permission, strict=True):
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[0] == f"`{permission}`"
        assert cells[2:-1] == ["✓" if permission in ROLE_PERMISSIONS[role] else "" for role in Role]
        assert cells[-1] == ("" if permission in PEOPLE_ONLY else "✓"), "the last column: may a machine token hold it"


def test_matrix_markdown_languages():
    assert matrix_markdown("zh").startswith("| 权限 | 说明 | 系统管理员 `admin`")
    assert "查看完整手机号" in matrix_markdown("zh") and "reveal full phone" in matrix_markdown("en")
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        matrix_markdown("fr")


def test_every_permission_and_role_has_both_translations():
    entries = catalog()
    for permission in Permission:
        assert set(entries[f"security.permission.{permission.replace(':', '.')}"]) == {"zh", "en"}
    for role in Role:
        assert set(entries[f"security.role.{role}"]) == {"zh", "en"}


def test_readme_table_is_the_current_matrix():
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- rbac-matrix:start -->\n(.*?)<!-- rbac-matrix:end -->", text, re.DOTALL)
    assert found, "README.md has no <!-- rbac-matrix:start --> … <!-- rbac-matrix:end --> section"
    assert found.group(1) == matrix_markdown("en"), (
        "README.md's roles-and-permissions table differs from matrix_markdown('en'); paste the new table in"
    )
    assert text.index("## Roles and permissions") < text.index("<!-- rbac-matrix:start -->") < text.index("## Settings")
