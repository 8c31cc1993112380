"""A list that cannot be built says what to fix: the valid product ids, the teams there are."""

from datetime import date

import pytest

from callwise.lists.build import ListError, build_list, check_teams
from callwise.lists.campaign import Campaign
from callwise.pipeline import train_from_lake

DAY = date(2026, 7, 1)


@pytest.fixture(scope="module")
def model(small_bank):
    fitted, _ = train_from_lake(small_bank["lake"], "logistic", seed=3)
    return fitted


def test_an_unknown_product_lists_the_products_there_are(small_bank, model):
    products = sorted(small_bank["lake"].table("products").to_pandas()["product_id"])
    campaign = Campaign(campaign_id="t", product_id="P_INS99", date=DAY)
    with pytest.raises(ListError) as info:
        build_list(campaign, small_bank["lake"], model)
    message = str(info.value)
    assert message.startswith("product 'P_INS99' is not in the products table")
    assert message.endswith(
        f"the products are: {', '.join(products[:10])}"
        + (f" (and {len(products) - 10} more)" if len(products) > 10 else "")
    )
    assert "P_INS99' 不在产品表中" in info.value.message("zh")


def test_a_near_product_id_is_suggested(small_bank, model):
    products = sorted(small_bank["lake"].table("products").to_pandas()["product_id"])
    typo = products[0][:-1] + ("X" if products[0][-1] != "X" else "Y")
    with pytest.raises(ListError, match=rf"\(did you mean '{products[0]}'\?\)"):
        build_list(Campaign(campaign_id="t", product_id=typo, date=DAY), small_bank["lake"], model)


def test_an_unknown_team_is_named_with_the_teams_there_are(small_bank, model):
    agents = small_bank["lake"].table("agents").to_pandas()
    teams = sorted(agents["team"].unique())
    campaign = Campaign(campaign_id="t", product_id="P_WM01", date=DAY, teams=[teams[0], "财富三组"])
    with pytest.raises(ListError) as info:
        build_list(campaign, small_bank["lake"], model)
    assert str(info.value) == (
        f"campaign 't' names team '财富三组' in teams, but no agent belongs to it (did you mean '财富二组'?); "
        f"the teams are: {', '.join(teams)}"
    )
    assert "on shift" not in str(info.value)
    assert info.value.message("zh").startswith("活动 't' 的 teams 中的团队 '财富三组' 在坐席表中不存在")


def test_teams_without_a_team_column_are_refused(small_bank):
    agents = small_bank["lake"].table("agents").to_pandas().drop(columns="team")
    campaign = Campaign(campaign_id="t", product_id="P_WM01", date=DAY, teams=["财富一组"])
    with pytest.raises(ListError, match="the agents table has no team column"):
        check_teams(agents, campaign)
    assert check_teams(agents, campaign.model_copy(update={"teams": None})) is agents


def test_nobody_on_shift_names_the_product_the_teams_and_the_hours(small_bank, model, tmp_path):
    campaign = Campaign(
        campaign_id="t", product_id="P_WM01", date=DAY, days=2, first_hour=6, last_hour=8, teams=["信用卡组"]
    )
    with pytest.raises(ListError) as info:
        build_list(campaign, small_bank["lake"], model)
    assert str(info.value).startswith(
        "no agent of 信用卡组 who sells wealth products (P_WM01) is on shift from 2026-07-01 to 2026-07-02 "
        "between 06:00 and 08:00"
    )
    assert info.value.message("zh").startswith("信用卡组 中没有销售 wealth 类产品（P_WM01）的坐席")
