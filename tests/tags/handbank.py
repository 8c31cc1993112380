"""A hand-made bank of 16 customers (H01–H16) on which every tag of the default catalogue has a known value.

Each customer is a small story (the comments); the rows are few enough that every tag's value can be worked out
by hand from them, as test_default_catalogue.py does. The cutoff is 2026-06-01: a 30-day window starts on 05-02,
a 90-day one on 03-03, a 180-day one on 2025-12-03, a 365-day one on 2025-06-01.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from callwise.lake import Lake

from .helpers import write_lake

CUTOFF = datetime(2026, 6, 1)
IDS = [f"H{i:02d}" for i in range(1, 17)]


def _person(cid, birth, gender, province, city, education, marital, income, risk, assessed, opened, **more) -> dict:
    return {
        "customer_id": cid,
        "birth_date": birth,
        "gender": gender,
        "province": province,
        "city": city,
        "timezone": more.pop("timezone", "Asia/Shanghai"),
        "education": education,
        "marital": marital,
        "income_monthly": income,
        "risk_tolerance": risk,
        "risk_assessed_at": assessed,
        "consent_marketing": more.pop("consent", True),
        "profiling_opt_out": more.pop("opt_out", False),
        "dnc": more.pop("dnc", False),
        "opened_at": opened,
        "status": more.pop("status", "active"),
        **more,
    }


def customers() -> list[dict]:
    d = date
    return [
        # H01 affluent, salaried, digital; bought on a call
        _person(
            "H01", d(1986, 3, 10), "F", "上海", "上海", "本科", "已婚", 30000.0, "C4", d(2026, 1, 10), d(2015, 1, 1)
        ),
        # H02 pensioner at the counter; a complaint exactly a year ago
        _person(
            "H02",
            d(1960, 7, 1),
            "M",
            "北京",
            "北京",
            "大专",
            "已婚",
            6000.0,
            "C2",
            d(2025, 3, 1),
            d(2000, 5, 1),
            complaint_last_at=datetime(2025, 6, 1, 10),
        ),
        # H03 new young customer who lives in the app (born on the cutoff's day)
        _person(
            "H03", d(2000, 6, 1), "F", "广东", "深圳", "硕士及以上", "未婚", 15000.0, "C3", d(2025, 7, 1), d(2026, 4, 1)
        ),
        # H04 a loan, repayments and a large transfer out
        _person(
            "H04",
            d(1975, 12, 31),
            "M",
            "四川",
            "成都",
            "高中/中专",
            "离异",
            12000.0,
            "C3",
            d(2026, 5, 1),
            d(2010, 1, 1),
        ),
        # H05 no marketing consent, another time zone, spending falling; asked not to be called long ago
        _person(
            "H05",
            d(1995, 1, 15),
            "F",
            "新疆",
            "乌鲁木齐",
            "本科",
            "已婚",
            9000.0,
            "C1",
            d(2026, 2, 1),
            d(2018, 6, 1),
            timezone="Asia/Urumqi",
            consent=False,
        ),
        # H06 dormant, on the do-not-call list, never assessed
        _person(
            "H06", d(1950, 2, 2), "M", "湖北", "武汉", "初中及以下", "丧偶", 3000.0, "C1", None, d(1998, 1, 1), dnc=True
        ),
        # H07 private banking, a maturity and a large transfer
        _person("H07", d(1980, 8, 8), "F", "浙江", "杭州", "本科", "已婚", 50000.0, "C5", d(2026, 3, 1), d(2012, 3, 1)),
        # H08 frozen; a complaint recorded after the cutoff
        _person(
            "H08",
            d(1990, 11, 11),
            "M",
            "江苏",
            "南京",
            "大专",
            "未婚",
            8000.0,
            "C2",
            d(2025, 9, 1),
            d(2023, 1, 1),
            status="frozen",
            complaint_last_at=datetime(2026, 6, 2, 10),
        ),
        # H09 complained, opted out of profiling, income unknown, activity dropping
        _person(
            "H09",
            d(1970, 5, 20),
            "F",
            "陕西",
            "西安",
            "本科",
            "已婚",
            None,
            "C3",
            d(2025, 12, 1),
            d(2016, 7, 1),
            opt_out=True,
            complaint_last_at=datetime(2026, 4, 1, 10),
        ),
        # H10 nothing known
        {"customer_id": "H10"},
        # H11 called too often, refused
        _person(
            "H11", d(1966, 9, 9), "M", "河南", "郑州", "高中/中专", "已婚", 20000.0, "C4", d(2026, 4, 1), d(2021, 1, 1)
        ),
        # H12 young warm lead who browses without buying
        _person(
            "H12", d(1998, 2, 28), "F", "广东", "广州", "本科", "未婚", 7000.0, "C2", d(2026, 5, 15), d(2024, 6, 1)
        ),
        # H13 deceased
        _person(
            "H13",
            d(1955, 4, 4),
            "F",
            "山东",
            "青岛",
            "初中及以下",
            "已婚",
            4000.0,
            "C1",
            d(2024, 12, 1),
            d(2005, 5, 5),
            status="deceased",
        ),
        # H14 hard to reach, a doubtful number, exactly CNY 1 million
        _person(
            "H14", d(1988, 10, 10), "M", "黑龙江", "哈尔滨", "本科", "已婚", 25000.0, "C3", d(2026, 1, 1), d(2019, 9, 9)
        ),
        # H15 new, high income, little money here yet
        _person(
            "H15",
            d(1992, 12, 12),
            "M",
            "天津",
            "天津",
            "硕士及以上",
            "已婚",
            40000.0,
            "C5",
            d(2025, 6, 15),
            d(2026, 3, 15),
        ),
        # H16 a maturity, a big purchase, a large transfer out
        _person("H16", d(1983, 1, 1), "F", "湖南", "长沙", "大专", "离异", 10000.0, "C3", d(2026, 5, 1), d(2017, 1, 1)),
    ]


def _tx(cid: str, day: tuple[int, int, int], direction: str, amount: float, category: str, channel: str) -> dict:
    return {
        "customer_id": cid,
        "ts": datetime(*day, 10),
        "amount": amount,
        "direction": direction,
        "channel": channel,
        "category": category,
    }


def transactions() -> list[dict]:
    return [
        _tx("H01", (2026, 5, 10), "in", 20000.0, "工资", "网上银行"),
        _tx("H01", (2026, 4, 10), "in", 20000.0, "工资", "网上银行"),
        _tx("H01", (2026, 3, 10), "in", 20000.0, "工资", "网上银行"),
        _tx("H01", (2026, 5, 20), "out", 1000.0, "网购", "手机银行"),
        _tx("H01", (2026, 4, 20), "out", 1000.0, "网购", "手机银行"),
        _tx("H01", (2026, 3, 20), "out", 1000.0, "网购", "手机银行"),
        _tx("H01", (2026, 5, 25), "out", 2000.0, "消费", "POS"),
        _tx("H01", (2026, 5, 28), "in", 300.0, "利息", "手机银行"),
        _tx("H01", (2026, 6, 1), "in", 99999.0, "工资", "手机银行"),  # at the cutoff: never counts
        _tx("H02", (2026, 5, 10), "in", 5000.0, "养老金", "柜面"),
        _tx("H02", (2026, 4, 10), "in", 5000.0, "养老金", "柜面"),
        _tx("H02", (2026, 5, 12), "out", 800.0, "缴费", "柜面"),
        _tx("H02", (2026, 2, 10), "out", 300.0, "消费", "ATM"),
        *(_tx("H03", (2026, 5, day), "out", 100.0, "网购", "手机银行") for day in range(5, 15)),
        _tx("H03", (2026, 5, 10), "in", 15000.0, "工资", "手机银行"),
        _tx("H04", (2026, 5, 15), "out", 3000.0, "还款", "网上银行"),
        _tx("H04", (2026, 4, 15), "out", 3000.0, "还款", "网上银行"),
        _tx("H04", (2026, 3, 15), "out", 3000.0, "还款", "网上银行"),
        _tx("H04", (2026, 5, 20), "out", 60000.0, "转账", "柜面"),
        _tx("H04", (2026, 4, 1), "in", 1000.0, "转入", "柜面"),
        _tx("H05", (2026, 3, 10), "out", 3000.0, "消费", "POS"),
        _tx("H05", (2026, 3, 20), "out", 3000.0, "餐饮", "POS"),
        _tx("H05", (2026, 5, 5), "out", 100.0, "餐饮", "POS"),
        _tx("H05", (2026, 4, 5), "in", 500.0, "退款", "POS"),
        _tx("H06", (2025, 10, 1), "out", 200.0, "消费", "柜面"),
        _tx("H07", (2026, 5, 30), "in", 100000.0, "理财到期", "网上银行"),
        _tx("H07", (2026, 5, 31), "out", 50000.0, "转账", "手机银行"),
        _tx("H09", (2026, 5, 1), "out", 400.0, "消费", "ATM"),
        _tx("H09", (2026, 4, 1), "out", 400.0, "消费", "ATM"),
        _tx("H11", (2026, 5, 10), "in", 20000.0, "工资", "柜面"),
        _tx("H11", (2026, 4, 10), "in", 20000.0, "工资", "柜面"),
        _tx("H12", (2026, 5, 26), "in", 7000.0, "工资", "手机银行"),
        _tx("H12", (2026, 5, 27), "out", 500.0, "餐饮", "手机银行"),
        _tx("H14", (2026, 1, 15), "in", 2000.0, "转入", "网上银行"),
        _tx("H15", (2026, 5, 20), "in", 40000.0, "工资", "手机银行"),
        _tx("H16", (2026, 4, 20), "in", 200000.0, "理财到期", "网上银行"),
        _tx("H16", (2026, 5, 21), "out", 150000.0, "转账", "网上银行"),
        _tx("H16", (2026, 5, 22), "in", 60.0, "利息", "网上银行"),
    ]


def _ev(cid: str, day: tuple[int, int, int], event: str, detail: str | None = None) -> dict:
    return {"customer_id": cid, "ts": datetime(*day, 20), "event": event, "detail": detail}


def events() -> list[dict]:
    return [
        *(_ev("H01", day, "app_login") for day in ((2026, 5, 26), (2026, 5, 20), (2026, 5, 10), (2026, 4, 1))),
        _ev("H01", (2026, 5, 20), "view_product", "P_WM01"),
        _ev("H01", (2026, 5, 21), "view_product", "P_FD01"),
        _ev("H01", (2026, 5, 22), "view_product", "P_WM01"),
        _ev("H01", (2026, 4, 2), "view_rates"),
        _ev("H01", (2026, 4, 3), "view_rates"),
        *(_ev("H03", (2026, 5, day), "app_login") for day in range(3, 15)),
        _ev("H03", (2026, 5, 14), "use_calculator"),
        *(_ev("H09", (2026, 4, day), "app_login") for day in (1, 5, 10)),
        _ev("H12", (2026, 5, 28), "app_login"),
        *(_ev("H12", (2026, 5, day), "view_product", "P_CC01") for day in (27, 28, 29)),
        _ev("H14", (2026, 1, 10), "app_login"),
        _ev("H06", (2025, 11, 1), "app_login"),
        _ev("H15", (2026, 5, 20), "view_rates"),
        _ev("H15", (2026, 5, 21), "view_rates"),
    ]


def _hold(cid: str, category: str, balance: float | None, opened: date, closed: date | None = None) -> dict:
    return {
        "customer_id": cid,
        "product_id": f"P_{category}",
        "category": category,
        "balance": balance,
        "opened_at": opened,
        "closed_at": closed,
    }


def holdings() -> list[dict]:
    d = date
    return [
        _hold("H01", "wealth", 800000.0, d(2024, 1, 1)),
        _hold("H01", "deposit", 300000.0, d(2020, 1, 1)),
        _hold("H01", "fund", 100000.0, d(2026, 4, 15)),
        _hold("H01", "credit_card", 0.0, d(2019, 1, 1)),
        _hold("H02", "deposit", 200000.0, d(2010, 1, 1)),
        _hold("H03", "fund", 20000.0, d(2026, 4, 10)),
        _hold("H03", "credit_card", 0.0, d(2026, 4, 5)),
        _hold("H04", "deposit", 5000.0, d(2015, 1, 1)),
        _hold("H04", "loan", None, d(2024, 1, 1)),
        _hold("H05", "deposit", 60000.0, d(2018, 6, 1)),
        _hold("H05", "insurance", 10000.0, d(2020, 1, 1)),
        _hold("H06", "deposit", 30000.0, d(1998, 1, 1)),
        _hold("H07", "wealth", 5000000.0, d(2020, 1, 1)),
        _hold("H07", "deposit", 1500000.0, d(2012, 3, 1)),
        _hold("H07", "insurance", 500000.0, d(2015, 1, 1)),
        _hold("H08", "deposit", 10000.0, d(2023, 1, 1)),
        _hold("H09", "wealth", 600000.0, d(2022, 1, 1)),
        _hold("H09", "fund", 50000.0, d(2022, 1, 1), d(2026, 5, 1)),  # closed before the cutoff
        _hold("H11", "deposit", 900000.0, d(2021, 1, 1)),
        _hold("H11", "wealth", 100000.0, d(2026, 6, 1)),  # opened at the cutoff: not held yet
        _hold("H12", "deposit", 8000.0, d(2024, 6, 1)),
        _hold("H13", "deposit", 50000.0, d(2005, 5, 5)),
        _hold("H14", "deposit", 400000.0, d(2019, 9, 9)),
        _hold("H14", "wealth", 300000.0, d(2023, 1, 1)),
        _hold("H14", "fund", 200000.0, d(2023, 1, 1)),
        _hold("H14", "insurance", 100000.0, d(2023, 1, 1)),
        _hold("H15", "deposit", 100000.0, d(2026, 3, 20)),
        _hold("H16", "wealth", 50000.0, d(2025, 1, 1)),
        _hold("H16", "deposit", 450000.0, d(2017, 1, 1)),
    ]


def _call(n: int, cid: str, day: tuple[int, int, int], disposition: str | None, **more: object) -> dict:
    return {
        "contact_id": f"k{n:02d}",
        "campaign_id": more.pop("campaign", "K1"),
        "customer_id": cid,
        "product_id": "P_WM01",
        "channel": more.pop("channel", "call"),
        "ts": datetime(*day, 11),
        "group": "treatment",
        "disposition": disposition,
        "duration_s": more.pop("duration", None),
    }


def contacts() -> list[dict]:
    return [
        _call(1, "H11", (2026, 5, 5), "no_answer"),
        _call(2, "H11", (2026, 5, 10), "busy"),
        _call(3, "H11", (2026, 5, 15), "no_answer"),
        _call(4, "H11", (2026, 5, 20), "refused", duration=20.0),
        _call(5, "H12", (2026, 4, 10), "callback_requested", duration=60.0),
        _call(6, "H12", (2026, 5, 10), "interested", duration=180.0, campaign="K2"),
        _call(7, "H12", (2026, 5, 1), None, channel="sms", campaign="K3"),
        _call(8, "H14", (2026, 2, 1), "no_answer"),
        _call(9, "H14", (2026, 3, 1), "no_answer"),
        _call(10, "H14", (2026, 5, 1), "wrong_number"),
        _call(11, "H09", (2026, 3, 15), "complaint", duration=90.0),
        _call(12, "H01", (2025, 9, 1), "converted", duration=300.0, campaign="K2"),
        _call(13, "H05", (2024, 1, 1), "dnc_requested", duration=10.0),
        _call(14, "H13", (2026, 5, 30), "no_answer"),
        _call(15, "H02", (2025, 3, 1), "answered", duration=45.0),
        _call(16, "H07", (2026, 5, 20), None, channel="app_push", campaign="K4"),
        _call(17, "H11", (2026, 6, 1), "complaint"),  # at the cutoff: never counts
    ]


def conversions() -> list[dict]:
    return [
        {"customer_id": "H01", "product_id": "P_WM01", "ts": datetime(2026, 5, 22, 9), "amount": 50000.0},
        {"customer_id": "H01", "product_id": "P_FD01", "ts": datetime(2025, 8, 1, 9), "amount": 10000.0},
        {"customer_id": "H16", "product_id": "P_WM02", "ts": datetime(2026, 4, 25, 9), "amount": 80000.0},
        {"customer_id": "H09", "product_id": "P_DEP01", "ts": datetime(2024, 3, 1, 9), "amount": 1000.0},
        {"customer_id": "H03", "product_id": "P_FD01", "ts": datetime(2026, 5, 30, 9), "amount": 2000.0},
    ]


def write_handbank(root: Path) -> Lake:
    return write_lake(
        root,
        {
            "customers": customers(),
            "transactions": transactions(),
            "holdings": holdings(),
            "events": events(),
            "contacts": contacts(),
            "conversions": conversions(),
        },
    )
