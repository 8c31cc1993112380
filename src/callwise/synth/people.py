"""Synthetic customers who look like a Chinese retail bank's: names, places, phones, ID numbers, life stages."""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志文斌宇浩凯鑫婷雪琳晨欣怡子轩梓涵")
# province, city, 6-digit area code of the ID number, timezone, weight
PLACES = [
    ("广东", "深圳", "440300", "Asia/Shanghai", 9),
    ("广东", "广州", "440100", "Asia/Shanghai", 8),
    ("北京", "北京", "110100", "Asia/Shanghai", 9),
    ("上海", "上海", "310100", "Asia/Shanghai", 9),
    ("浙江", "杭州", "330100", "Asia/Shanghai", 7),
    ("江苏", "南京", "320100", "Asia/Shanghai", 5),
    ("江苏", "苏州", "320500", "Asia/Shanghai", 5),
    ("四川", "成都", "510100", "Asia/Shanghai", 6),
    ("湖北", "武汉", "420100", "Asia/Shanghai", 5),
    ("山东", "青岛", "370200", "Asia/Shanghai", 4),
    ("河南", "郑州", "410100", "Asia/Shanghai", 4),
    ("陕西", "西安", "610100", "Asia/Shanghai", 4),
    ("福建", "厦门", "350200", "Asia/Shanghai", 3),
    ("新疆", "乌鲁木齐", "650100", "Asia/Urumqi", 2),
]
# Life situations drive age, income, answering hours and needs. name, zh occupation, weight, age range.
SEGMENTS = [
    ("retiree", "退休人员", 18, (58, 85)),
    ("office_worker", "企业职员", 34, (23, 58)),
    ("self_employed", "个体工商户", 14, (25, 65)),
    ("civil_servant", "公务员/事业单位", 10, (24, 60)),
    ("student", "学生", 8, (16, 25)),
    ("homemaker", "家庭主妇/主夫", 8, (25, 60)),
    ("farmer", "务农", 8, (30, 70)),
]
SEGMENT_INCOME = {  # median monthly income, CNY
    "retiree": 4_500,
    "office_worker": 11_000,
    "self_employed": 14_000,
    "civil_servant": 10_000,
    "student": 1_500,
    "homemaker": 3_000,
    "farmer": 3_500,
}
MOBILE_PREFIXES = np.array(
    [
        130,
        131,
        132,
        133,
        135,
        136,
        137,
        138,
        139,
        150,
        151,
        152,
        157,
        158,
        159,
        166,
        170,
        176,
        177,
        180,
        181,
        182,
        183,
        185,
        186,
        187,
        188,
        189,
        191,
        198,
        199,
    ]
)
EDUCATION = ["初中及以下", "高中/中专", "大专", "本科", "硕士及以上"]
MARITAL = ["未婚", "已婚", "离异", "丧偶"]


def _choice(rng: np.random.Generator, values: list, weights: list[float] | None, n: int) -> np.ndarray:
    p = None if weights is None else np.asarray(weights, float) / np.sum(weights)
    return rng.choice(len(values), size=n, p=p)


def _text(values: list[str], index: np.ndarray) -> pa.Array:
    return pc.take(pa.array(values, pa.string()), pa.array(index))


def make_customers(n: int, rng: np.random.Generator, end: date) -> tuple[pa.Table, dict[str, np.ndarray]]:
    """The customers table and the hidden per-customer traits the behaviour model needs."""
    seg = _choice(rng, [s[0] for s in SEGMENTS], [s[2] for s in SEGMENTS], n)
    lo = np.array([s[3][0] for s in SEGMENTS])[seg]
    hi = np.array([s[3][1] for s in SEGMENTS])[seg]
    age = lo + np.floor(rng.beta(1.6, 1.8, n) * (hi - lo + 1)).astype(int)
    end_ord = end.toordinal()
    birth_ord = end_ord - (age * 365.25).astype(int) - rng.integers(0, 365, n)
    birth = np.array(birth_ord - date(1970, 1, 1).toordinal(), dtype="datetime64[D]")
    place = _choice(rng, PLACES, [p[4] for p in PLACES], n)
    gender = rng.integers(0, 2, n)

    segment_names = np.array([s[0] for s in SEGMENTS])[seg]
    median = np.vectorize(SEGMENT_INCOME.get)(segment_names).astype(float)
    income = np.round(median * rng.lognormal(0, 0.55, n), -1)
    edu = np.clip(np.round(rng.normal(2.2 + (income > 12_000) * 0.8 - (seg == 6) * 1.2, 0.9)), 0, 4).astype(int)
    marital = np.where(
        age < 27, rng.choice(4, n, p=[0.8, 0.18, 0.02, 0.0]), rng.choice(4, n, p=[0.12, 0.75, 0.09, 0.04])
    )
    # Risk tolerance grows with income and education, shrinks with age.
    tol = 2.4 + 0.5 * np.log(income / 8_000) + 0.25 * (edu - 2) - 0.025 * (age - 40) + rng.normal(0, 0.8, n)
    risk = np.clip(np.round(tol), 1, 5).astype(int)
    assessed = end_ord - rng.integers(0, 730, n)  # some assessments are older than a year (expired)
    opened = end_ord - np.minimum(rng.exponential(5 * 365, n).astype(int) + 30, (age - 15) * 365)
    consent = rng.random(n) < 0.86
    dnc = rng.random(n) < 0.03
    opt_out = rng.random(n) < 0.02
    complaint = rng.random(n) < 0.015
    status = rng.choice(3, n, p=[0.985, 0.012, 0.003])
    ids = pc.binary_join_element_wise(
        "C", pc.utf8_lpad(pc.cast(pa.array(np.arange(1, n + 1)), pa.string()), 8, "0"), ""
    )
    # About 1 in 500 shares a phone with another customer (families), as in real books.
    phone = MOBILE_PREFIXES[rng.integers(0, len(MOBILE_PREFIXES), n)] * 100_000_000 + rng.integers(0, 10**8, n)
    shared = rng.random(n) < 0.002
    phone[shared] = phone[rng.integers(0, n, shared.sum())]

    table = pa.table(
        {
            "customer_id": ids,
            "phone": pc.cast(pa.array(phone), pa.string()),
            "name": pc.binary_join_element_wise(
                _text(SURNAMES, rng.integers(0, len(SURNAMES), n)),
                _text(GIVEN, rng.integers(0, len(GIVEN), n)),
                pc.if_else(pa.array(rng.random(n) < 0.6), _text(GIVEN, rng.integers(0, len(GIVEN), n)), ""),
                "",
            ),
            "id_number": _id_numbers(place, birth, gender, rng),
            "birth_date": pa.array(np.where(rng.random(n) < 0.004, np.datetime64("NaT"), birth)).cast(pa.date32()),
            "gender": _text(["F", "M"], gender),
            "province": _text([p[0] for p in PLACES], place),
            "city": _text([p[1] for p in PLACES], place),
            "timezone": _text([p[3] for p in PLACES], place),
            "occupation": _text([s[1] for s in SEGMENTS], seg),
            "education": _text(EDUCATION, edu),
            "marital": _text(MARITAL, marital),
            "income_monthly": pa.array(income),
            "risk_tolerance": _text([f"C{i}" for i in range(1, 6)], risk - 1),
            "risk_assessed_at": _dates(assessed),
            "consent_marketing": pa.array(consent),
            "consent_updated_at": _timestamps(opened + rng.integers(0, 400, n), rng),
            "profiling_opt_out": pa.array(opt_out),
            "dnc": pa.array(dnc),
            "complaint_last_at": pc.if_else(
                pa.array(complaint),
                _timestamps(end_ord - rng.integers(1, 400, n), rng),
                pa.scalar(None, pa.timestamp("s")),
            ),
            "opened_at": _dates(opened),
            "status": _text(["active", "frozen", "deceased"], status),
        }
    )
    traits = {
        "segment": seg,
        "age": age,
        "income": income,
        "risk": risk,
        "education": edu,
        "callable": consent & ~dnc & (status == 0) & (age >= 18) & ~opt_out,
    }
    return table, traits


def _dates(ordinals: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(ordinals - date(1970, 1, 1).toordinal(), dtype="datetime64[D]")).cast(pa.date32())


def _timestamps(ordinals: np.ndarray, rng: np.random.Generator) -> pa.Array:
    seconds = (ordinals - date(1970, 1, 1).toordinal()) * 86_400 + rng.integers(8 * 3600, 20 * 3600, len(ordinals))
    return pa.array(np.asarray(seconds, dtype="datetime64[s]"))


def _id_numbers(place: np.ndarray, birth: np.ndarray, gender: np.ndarray, rng: np.random.Generator) -> pa.Array:
    """18-digit resident ID numbers with a valid GB 11643 check digit (fake, but well-formed)."""
    n = len(place)
    area = np.array([int(p[2]) for p in PLACES])[place]
    ymd = birth.astype("datetime64[D]").astype(str).astype("U10")
    birth_digits = np.char.replace(ymd, "-", "").astype(np.int64)
    seq = rng.integers(0, 500, n) * 2 + gender  # odd = male
    body = area * 10**11 + birth_digits * 1000 + seq  # 17 digits
    digits = (body[:, None] // 10 ** np.arange(16, -1, -1)) % 10
    weights = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
    check = np.array(list("10X98765432"))[(digits * weights).sum(axis=1) % 11]
    return pc.binary_join_element_wise(pc.cast(pa.array(body), pa.string()), pa.array(check), "")
