"""Every tag of the default catalogue against its value on the hand-made bank (handbank.py), worked out by hand.

Flags are written as the customers for whom they hold; numbers and levels as a value per customer (customers not
named take the default). A definition that changes meaning changes a value here, and the test says which.
"""

from __future__ import annotations

import pytest

from callwise.tags import default_catalogue, tag_table
from callwise.tags.catalogue import CATEGORIES, KINDS, VALUES

from .handbank import CUTOFF, IDS, write_handbank

Z = None  # unknown

FLAGS: dict[str, str] = {
    # basic
    "tier1_city": "H01 H02 H03 H12",
    "other_timezone": "H05",
    "postgraduate": "H03 H15",
    "married": "H01 H02 H05 H07 H09 H11 H13 H14 H15",
    "young_adult": "H03 H12",
    "silver_age": "H02 H06 H13",
    "status_active": "H01 H02 H03 H04 H05 H06 H07 H09 H11 H12 H14 H15 H16",
    # behaviour
    "salary_paid": "H01 H02 H03 H11 H12 H15",
    "pension_paid": "H02",
    "net_inflow": "H01 H02 H03 H07 H11 H12 H15 H16",
    "frequent_trader": "H03",
    "no_recent_tx": "H09",
    "spending_down": "H05 H09",
    "online_shopper": "H01 H03",
    "maturity_recent": "H07 H16",
    "browsing_no_purchase": "H12",
    # preference
    "wealth_holder": "H01 H07 H09 H14 H16",
    "deposit_holder": "H01 H02 H04 H05 H06 H07 H08 H11 H12 H13 H14 H15 H16",
    "fund_holder": "H01 H03 H14",
    "insurance_holder": "H05 H07 H14",
    "credit_card_holder": "H01 H03",
    "loan_holder": "H04",
    "single_product": "H02 H06 H08 H09 H11 H12 H13 H15",
    "multi_product": "H01 H07 H14",
    "deposit_focused": "H02 H04 H05 H06 H08 H11 H12 H13 H15 H16",
    "mobile_preferred": "H03 H12 H15",
    "counter_user": "H02 H04 H11",
    "rate_watcher": "H01 H15",
    "calculator_user": "H03",
    "rate_sensitive": "H01 H15",
    "card_prospect": "H11 H12 H15",
    "fund_prospect": "H07 H09 H16",
    "protection_gap": "H01 H04 H08 H15 H16",
    # value
    "high_net_worth": "H01 H07 H14",
    "affluent": "H01 H07 H09 H11 H14 H16",
    "high_potential": "H03 H15",
    "big_buyer": "H01 H16",
    "salary_and_wealth": "H01",
    "high_income": "H01 H07 H11 H14 H15",
    # risk
    "recent_complaint": "H09",
    "complaint_2y": "H09",
    "cautious_investor": "H02 H05 H06 H08 H12 H13",
    "growth_investor": "H01 H07 H11 H15",
    "assessment_expired": "H02 H06 H10 H13",
    "suitable_r3": "H01 H03 H04 H07 H09 H11 H14 H15 H16",
    "do_not_call": "H06",
    "dnc_on_call": "H05",
    "refused_recently": "H11",
    "profiling_opted_out": "H09",
    "not_marketable": "H05 H06 H08 H10 H13",
    "large_outflow_30d": "H04 H07 H16",
    "debt_pressure": "H04",
    "cash_strain": "H04",
    "credit_watch": "H04",
    # lifecycle
    "dormant": "H06 H08 H10 H13",
    "new_customer": "H03 H15",
    "loyal_customer": "H01 H02 H04 H06 H07 H13",
    "recent_purchase": "H01 H03",
    "repeat_buyer": "H01",
    "never_bought": "H02 H04 H05 H06 H07 H08 H09 H11 H12 H13 H14",
    "new_holding_90d": "H01 H03 H15",
    "activity_drop": "H09",
    "churn_warning": "H09",
    # channel
    "app_active": "H01 H03",
    "logged_in_7d": "H01 H12",
    "digital_customer": "H03",
    "offline_customer": "H02 H04 H05 H11 H16",
    "marketing_consent": "H01 H02 H03 H04 H06 H07 H08 H09 H11 H12 H13 H14 H15 H16",
    "callable": "H01 H02 H03 H04 H07 H12 H14 H15 H16",
    "contact_fatigue": "H11",
    "easy_to_reach": "H12",
    "hard_to_reach": "H14",
    "never_called": "H03 H04 H05 H06 H07 H08 H10 H15 H16",
    "warm_lead": "H12",
    "phone_converter": "H01",
    "wrong_number": "H14",
    "sms_reached": "H12",
}


def per(default: object, **values: object) -> dict[str, object]:
    """A value for every customer: ``default`` unless named."""
    return {cid: values.get(cid, default) for cid in IDS}


def each(*values: object) -> dict[str, object]:
    """One value per customer, H01 to H16 in order."""
    assert len(values) == len(IDS)
    return dict(zip(IDS, values, strict=True))


BALANCES = each(1.2e6, 2e5, 2e4, 5e3, 7e4, 3e4, 7e6, 1e4, 6e5, 0, 9e5, 8e3, 5e4, 1e6, 1e5, 5e5)
RANK = {cid: r / 15 for r, cid in enumerate(sorted(IDS, key=lambda c: BALANCES[c]))}  # no two balances tie
SALARY = set(FLAGS["salary_paid"].split())
PRODUCTS = each(4, 1, 2, 2, 2, 1, 3, 1, 1, 0, 1, 1, 1, 4, 1, 2)
DAYS_SINCE_TX = each(4, 20, 18, 12, 27, 243, 1, Z, 31, Z, 22, 5, Z, 137, 12, 10)
LOGINS_30D = per(0, H01=3, H03=12, H12=1)


def _churn(cid: str) -> float:
    days = DAYS_SINCE_TX[cid]
    score = 0.5 * min(365 if days is None else days, 180) / 180
    return score + (0.3 if LOGINS_30D[cid] == 0 else 0) + (0.2 if cid in ("H05", "H09") else 0)


NUMBERS: dict[str, dict[str, object]] = {
    # basic
    "age_years": each(40, 65, 26, 50, 31, 76, 45, 35, 56, Z, 59, 28, 71, 37, 33, 43),
    "birth_month": each(3, 7, 6, 12, 1, 2, 8, 11, 5, Z, 9, 2, 4, 10, 12, 1),
    # behaviour
    "inflow_90d": per(
        0, H01=60300, H02=10000, H03=15000, H04=1000, H05=500, H07=100000, H11=40000, H12=7000, H15=40000, H16=200060
    ),
    "outflow_90d": per(0, H01=5000, H02=800, H03=1000, H04=69000, H05=6100, H07=50000, H09=800, H12=500, H16=150000),
    "outflow_30d": per(0, H01=3000, H02=800, H03=1000, H04=63000, H05=100, H07=50000, H12=500, H16=150000),
    "net_flow_90d": per(
        0,
        H01=55300,
        H02=9200,
        H03=14000,
        H04=-68000,
        H05=-5600,
        H07=50000,
        H09=-800,
        H11=40000,
        H12=6500,
        H15=40000,
        H16=50060,
    ),
    "tx_count_30d": per(0, H01=4, H02=2, H03=11, H04=2, H05=1, H07=2, H11=1, H12=2, H15=1, H16=2),
    "tx_count_90d": per(0, H01=8, H02=3, H03=11, H04=5, H05=4, H07=2, H09=2, H11=2, H12=2, H15=1, H16=3),
    "spending_30d": per(0, H01=3000, H03=1000, H05=100, H12=500),
    "repayments_90d": per(0, H04=3),
    "largest_outflow_90d": per(
        Z, H01=2000, H02=800, H03=100, H04=60000, H05=3000, H07=50000, H09=400, H12=500, H16=150000
    ),
    "channels_used_90d": per(1, H01=3, H04=2, H07=2, H06=0, H08=0, H10=0, H13=0, H14=0),
    "days_since_tx": DAYS_SINCE_TX,
    "interest_90d": per(0, H01=300, H16=60),
    "login_count_30d": LOGINS_30D,
    "login_count_90d": per(0, H01=4, H03=12, H09=3, H12=1),
    "product_views_30d": per(0, H01=3, H12=3),
    "activity_score": per(
        0,
        H01=12 / 60,
        H02=3 / 60,
        H03=23 / 60,
        H04=5 / 60,
        H05=4 / 60,
        H07=2 / 60,
        H09=5 / 60,
        H11=2 / 60,
        H12=3 / 60,
        H15=1 / 60,
        H16=3 / 60,
    ),
    # preference
    "product_count": PRODUCTS,
    # value
    "balance_rank": RANK,
    "customer_value_score": {
        c: 0.6 * RANK[c] + 0.2 * PRODUCTS[c] / 5 + (0.2 if c in SALARY else 0)
        for c in IDS  # type: ignore[operator]
    },
    "purchase_amount_365d": per(0, H01=60000, H03=2000, H16=80000),
    "total_balance": BALANCES,
    "deposit_balance": each(3e5, 2e5, 0, 5e3, 6e4, 3e4, 1.5e6, 1e4, 0, 0, 9e5, 8e3, 5e4, 4e5, 1e5, 4.5e5),
    "wealth_balance": per(0, H01=8e5, H07=5e6, H09=6e5, H14=3e5, H16=5e4),
    "monthly_income": each(3e4, 6e3, 1.5e4, 1.2e4, 9e3, 3e3, 5e4, 8e3, Z, Z, 2e4, 7e3, 4e3, 2.5e4, 4e4, 1e4),
    "balance_to_income": each(
        40, 2e5 / 6e3, 2e4 / 1.5e4, 5e3 / 1.2e4, 7e4 / 9e3, 10, 140, 1.25, Z, Z, 45, 8e3 / 7e3, 12.5, 40, 2.5, 50
    ),
    # risk
    "credit_risk_score": per(0, H04=1.0, H07=0.2, H16=0.2),
    # lifecycle
    "days_since_last_purchase": per(Z, H01=10, H03=2, H09=822, H16=37),
    "tenure_years": each(11.4, 26.1, 0.2, 16.4, 8.0, 28.4, 14.3, 3.4, 9.9, Z, 5.4, 2.0, 21.1, 6.7, 0.2, 9.4),
    "purchases_365d": per(0, H01=2, H03=1, H16=1),
    "churn_risk_score": {c: _churn(c) for c in IDS},
    # channel
    "days_since_app": per(Z, H01=6, H03=18, H09=52, H12=3, H15=11),
    "digital_score": per(0, H01=0.38, H03=1.0, H07=0.2, H12=0.46, H15=0.4),
    "calls_30d": per(0, H11=4, H12=1, H13=1),
    "calls_365d": per(0, H01=1, H09=1, H11=4, H12=2, H13=1, H14=3),
    "answered_365d": per(0, H01=1, H09=1, H11=1, H12=2),
    "answer_rate": per(Z, H01=1.0, H09=1.0, H11=0.25, H12=1.0, H13=0.0, H14=0.0),
    "touches_90d": per(0, H07=1, H09=1, H11=4, H12=3, H13=1, H14=1),
    "campaigns_365d": per(0, H01=1, H07=1, H09=1, H11=1, H12=3, H13=1, H14=1),
    "avg_call_seconds": per(Z, H01=300, H09=90, H11=20, H12=120),
    "call_propensity": per(0.15, H01=0.5, H09=0.5, H11=-0.175, H12=0.8, H13=0.0, H14=0.0),
}

LEVELS: dict[str, dict[str, object]] = {
    "age_band": each(
        "中青年",
        "老年",
        "青年",
        "中年",
        "中青年",
        "老年",
        "中年",
        "中青年",
        "中年",
        Z,
        "中年",
        "青年",
        "老年",
        "中青年",
        "中青年",
        "中青年",
    ),
    "gender": each("女", "男", "女", "男", "女", "男", "女", "男", "女", Z, "男", "女", "女", "男", "男", "女"),
    "region": each(
        "华东",
        "华北",
        "华南",
        "西部",
        "西部",
        "华中",
        "华东",
        "华东",
        "西部",
        Z,
        "华中",
        "华南",
        "华东",
        "其他",
        "华北",
        "华中",
    ),
    "education_level": each(
        "本科及以上",
        "大专",
        "本科及以上",
        "大专以下",
        "本科及以上",
        "大专以下",
        "本科及以上",
        "大专",
        "本科及以上",
        Z,
        "大专以下",
        "本科及以上",
        "大专以下",
        "本科及以上",
        "本科及以上",
        "大专",
    ),
    "account_status": per("正常", H08="冻结", H10=Z, H13="身故"),
    "investment_style": per("保守", H01="进取", H03="进取", H14="进取", H07="稳健", H09="稳健", H16="稳健", H10=Z),
    "asset_band": each(
        "高净值",
        "富裕",
        "大众",
        "大众",
        "富裕",
        "大众",
        "私行",
        "大众",
        "贵宾",
        "大众",
        "贵宾",
        "大众",
        "富裕",
        "高净值",
        "富裕",
        "贵宾",
    ),
    "value_tier": each("高", "中", "低", "低", "低", "低", "高", "低", "中", "低", "中", "低", "低", "高", "中", "中"),
    "income_band": each(
        "中高", "中低", "中", "中", "中低", "低", "高", "中低", Z, Z, "中高", "中低", "低", "中高", "中高", "中"
    ),
    "risk_grade": each("C4", "C2", "C3", "C3", "C1", "C1", "C5", "C2", "C3", Z, "C4", "C2", "C1", "C3", "C5", "C3"),
    "tenure_band": each(
        "十年以上",
        "十年以上",
        "一年内",
        "十年以上",
        "三到十年",
        "十年以上",
        "十年以上",
        "三到十年",
        "三到十年",
        Z,
        "三到十年",
        "一到三年",
        "十年以上",
        "三到十年",
        "一年内",
        "三到十年",
    ),
    "lifecycle_stage": each(
        "成熟",
        "成熟",
        "新客",
        "成熟",
        "成熟",
        "沉睡",
        "成熟",
        "沉睡",
        "流失预警",
        "沉睡",
        "成熟",
        "成长",
        "沉睡",
        "成熟",
        "新客",
        "成熟",
    ),
    "last_call_result": per(
        Z,
        H01="converted",
        H02="answered",
        H09="complaint",
        H11="refused",
        H12="interested",
        H13="no_answer",
        H14="wrong_number",
    ),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, dict[str, object]]:
    """The default catalogue's tag table on the hand-made bank, built once: tag → customer → value."""
    lake = write_handbank(tmp_path_factory.mktemp("handbank"))
    table = tag_table(lake, default_catalogue(), CUTOFF).to_pyarrow()
    assert table.column("customer_id").to_pylist() == IDS
    return {name: dict(zip(IDS, table.column(name).to_pylist(), strict=True)) for name in table.schema.names[1:]}


def test_every_tag_has_a_hand_worked_expectation_of_its_kind():
    catalogue = default_catalogue()
    expected = {**dict.fromkeys(FLAGS, "flag"), **dict.fromkeys(NUMBERS, "number"), **dict.fromkeys(LEVELS, "level")}
    assert len(expected) == len(FLAGS) + len(NUMBERS) + len(LEVELS)
    assert expected == {t.id: t.value for t in catalogue.tags.values()}


@pytest.mark.parametrize("tag", sorted(FLAGS))
def test_flag(built, tag):
    true = set(FLAGS[tag].split())
    assert true <= set(IDS)
    got = {cid for cid, value in built[tag].items() if value}
    assert got == true, f"{tag}: true for {sorted(got)}, expected {sorted(true)}"
    assert 0 < len(true) < len(IDS), f"{tag} should be true for some and false for others"


@pytest.mark.parametrize("tag", sorted(NUMBERS))
def test_number(built, tag):
    for cid, want in NUMBERS[tag].items():
        got = built[tag][cid]
        if want is None:
            assert got is None, f"{tag}[{cid}] = {got}, expected unknown"
        else:
            assert got == pytest.approx(want, abs=1e-9), f"{tag}[{cid}] = {got}, expected {want}"
    assert len(set(NUMBERS[tag].values())) > 1, f"{tag} should vary"


@pytest.mark.parametrize("tag", sorted(LEVELS))
def test_level(built, tag):
    levels = set(default_catalogue().get(tag).levels or ())
    assert {v for v in LEVELS[tag].values() if v is not None} <= levels
    assert built[tag] == LEVELS[tag]
    assert len({v for v in LEVELS[tag].values() if v is not None}) > 1, f"{tag} should take several levels"


def test_the_catalogue_is_large_bilingual_and_covers_every_category_kind_and_value():
    tags = list(default_catalogue().tags.values())
    assert len(tags) >= 120
    assert {t.category for t in tags} == set(CATEGORIES)
    assert {t.kind for t in tags} == set(KINDS)
    assert {t.value for t in tags} == set(VALUES)
    assert 8 <= sum(t.sensitive for t in tags) <= 15
    for t in tags:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in t.name_zh + t.description_zh), t.id
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in t.name_en + t.description_en), t.id
        assert t.owner and t.refresh in ("daily", "weekly", "monthly")


def test_no_default_tag_reads_occupation():
    """Occupation stands for the synthetic bank's hidden life situation, which segments are measured against."""
    catalogue = default_catalogue()
    assert not [t for t in catalogue.tags if "occupation" in catalogue.analysis(t).features]
