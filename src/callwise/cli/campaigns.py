"""CLI: `callwise campaigns close` — end a campaign's life on purpose (draft → built → issued → running → closed)."""

from __future__ import annotations

from typing import Annotated

import typer

from callwise.cli._output import emit, fail
from callwise.i18n import t


def register(app: typer.Typer) -> None:
    campaigns = typer.Typer(no_args_is_help=True, help="help.campaigns")
    app.add_typer(campaigns, name="campaigns")

    @campaigns.command("close", help="help.campaigns.close")
    def close(
        campaign_id: Annotated[str, typer.Argument(help="help.campaigns.close.campaign_id")],
        as_json: Annotated[bool, typer.Option("--json", help="help.campaigns.close.json")] = False,
    ) -> None:
        """Close a campaign: no list is built for it again; outcomes still arriving are recorded (audited)."""
        from callwise.cli._ops import ACTOR, lang, operational_db
        from callwise.ops.campaign_state import CampaignNotFound, IllegalTransition
        from callwise.ops.campaign_state import close as close_campaign
        from callwise.ops.db import transaction
        from callwise.ops.models import Campaign

        language = lang()
        with operational_db() as factory:
            try:
                with transaction(factory) as session:
                    found = session.get(Campaign, campaign_id)
                    before = found.status if found is not None else ""
                    close_campaign(session, campaign_id, ACTOR)
            except (CampaignNotFound, IllegalTransition) as refused:
                fail(refused.message(language))
        result = {"campaign_id": campaign_id, "from": before, "status": "closed"}
        emit(result, as_json, human=t("campaign.closed", language, campaign_id=campaign_id, before=before))
