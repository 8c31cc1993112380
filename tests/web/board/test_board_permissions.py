"""Every dashboard route states the permission it needs, and every page gives 403 exactly to the roles without it.

The routes are read from the app and the pages from ``PAGES``, so a new page or route is checked the day it is
added. The frame's own routes (the root, the login page, the page for users without pages) need a session or
nothing; signing out needs a session and its CSRF token.
"""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from callwise.security.rbac import ALL_PERMISSIONS, ROLE_PERMISSIONS, Role
from callwise.web.ui.registry import PAGES
from tests.web.test_permissions import _permissions

FRAME = {("GET", "/"), ("GET", "/login"), ("POST", "/login"), ("GET", "/board/none")}
IDS = {"campaign_id": "CMP-NONE", "customer_id": "C1"}


def board_routes(app) -> dict[tuple[str, str], set[str] | None]:
    """(method, path) → the permissions its dependencies state (None: it states none at all)."""
    routes: dict[tuple[str, str], set[str] | None] = {}
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and not context.path.startswith("/api/"):
            stated = _permissions(context.dependant)
            for method in context.methods:
                routes[(method, context.path)] = stated if stated else None
    return routes


def test_every_board_route_but_the_frames_states_a_permission(api):
    routes = board_routes(api.client.app)
    unguarded = {route for route, needed in routes.items() if needed is None}
    assert unguarded == FRAME
    assert routes[("POST", "/logout")] == {""}  # any signed-in person, with the CSRF token
    stated = set().union(*(needed for needed in routes.values() if needed)) - {""}
    assert stated <= ALL_PERMISSIONS
    for page in PAGES:
        assert routes[("GET", page.path)] == {page.permission}, page.name


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_each_role_gets_403_exactly_where_the_page_is_not_theirs(board, page):
    for role in Role:
        answer = board.client_for(role.value).get(page.example_path(**IDS))
        allowed = page.permission in ROLE_PERMISSIONS[role]
        assert (answer.status_code == 403) != allowed, (role.value, answer.status_code)
