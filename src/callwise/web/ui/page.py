"""What a dashboard page declares about itself: where it lives and who may see it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    """A page: its path, the permission to see it, and (for the tests) a path to an example of it."""

    name: str
    path: str
    permission: str
    example: str = ""  # a path with {campaign_id} / {customer_id} placeholders; empty: ``path``
    nav: bool = True  # listed in the navigation (a campaign's page is reached from the overview instead)

    @property
    def title_key(self) -> str:
        return f"board.nav.{self.name}"

    def example_path(self, **ids: str) -> str:
        return (self.example or self.path).format(**ids)
