"""A small catalogue with sensitive tags (one reading a normal tag that the pages show), built twice on a copy of
the small synthetic bank's lake so the pages have a quality report with a change since the last build."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from callwise.lake import Lake
from callwise.tags import build_tags
from callwise.tags.catalogue import Catalogue, catalogue_from_bytes

CATALOGUE = """\
version: 1
tags:
  - id: app_active
    name: {zh: 手机银行活跃, en: App active}
    description: {zh: 近 30 天登录过手机银行, en: Logged in to the app in the last 30 days}
    category: behaviour
    kind: rule
    value: flag
    definition: n_logins_30d >= 1
    owner: 零售数据组
    refresh: daily
  - id: wealthy
    name: {zh: 富裕客户, en: Wealthy}
    description: {zh: 总资产不低于 5 万元, en: Total balances of CNY 50 thousand or more}
    category: value
    kind: rule
    value: flag
    definition: balance_total >= 50000
    owner: 零售数据组
    refresh: daily
  - id: wealthy_active
    name: {zh: 富裕活跃, en: Wealthy and active}
    description: {zh: 富裕且手机银行活跃, en: Wealthy and active in the app}
    category: value
    kind: rule
    value: flag
    definition: 富裕客户 and app_active
    owner: 零售数据组
    refresh: weekly
  - id: age_band
    name: {zh: 年龄段, en: Age band}
    description: {zh: 按年龄分为三段, en: Age in three bands}
    category: basic
    kind: fact
    value: level
    levels: [青年, 中年, 老年]
    definition: "bucket(age, [35, 55], ['青年', '中年', '老年'])"
    owner: 零售数据组
    refresh: monthly
  - id: balance_k
    name: {zh: 资产千元, en: Balances in thousands}
    description: {zh: 总资产（千元）, en: Total balances in CNY thousands}
    category: value
    kind: fact
    value: number
    definition: balance_total / 1000
    owner: 零售数据组
    refresh: daily
  - id: vip_private
    name: {zh: 私密贵宾, en: Private VIP}
    description: {zh: 富裕且高收入（敏感）, en: Wealthy with a high income (sensitive)}
    category: value
    kind: rule
    value: flag
    definition: wealthy and income_monthly >= 20000
    owner: 私人银行部
    refresh: monthly
    sensitivity: sensitive
  - id: secret_income_k
    name: {zh: 隐秘收入千元, en: Secret income in thousands}
    description: {zh: 月收入（千元，敏感）, en: Monthly income in CNY thousands (sensitive)}
    category: risk
    kind: model
    value: number
    definition: if_else(vip_private, income_monthly / 1000, 0)
    owner: 私人银行部
    refresh: monthly
    sensitivity: sensitive
  - id: income_monthly
    name: {zh: 月收入标签, en: Income tag}
    description: {zh: 申报的月收入（与特征同名）, en: The declared monthly income (named as its feature)}
    category: risk
    kind: fact
    value: number
    definition: income_monthly
    owner: 私人银行部
    refresh: monthly
    sensitivity: sensitive
"""
SENSITIVE = (
    "vip_private",
    "月收入标签",
    "Income tag",
    "secret_income_k",
    "私密贵宾",
    "Private VIP",
    "隐秘收入千元",
    "Secret income",
)
FIRST, SECOND = datetime(2026, 5, 1), datetime(2026, 6, 1)


def catalogue() -> Catalogue:
    return catalogue_from_bytes(CATALOGUE.encode(), "board-tags.yaml", "board-tags.yaml")


def built_lake(source: Path, into: Path, cat: Catalogue) -> Lake:
    """A copy of the lake at ``source`` with ``cat`` built as of FIRST, then SECOND (a change to report)."""
    shutil.copytree(source, into)
    lake = Lake(into, threads=1)
    build_tags(lake, cat, FIRST)
    build_tags(lake, cat, SECOND)
    return lake
