"""A few call transcripts in Chinese, so the transcript table and its readers have real content."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

MAX_TRANSCRIPTS = 500
OPENING = "您好，我是银行客户经理，想占用您一分钟介绍一款产品，方便吗？"
REPLIES = {
    "converted": ["方便，你说说收益怎么样？", "听起来不错，帮我办理吧。"],
    "interested": ["可以，先发我资料看看。", "我考虑一下，回头联系你。"],
    "refused": ["不需要，谢谢。", "我现在没有这个需求。"],
    "callback_requested": ["我在开会，晚上再打给我吧。", "明天上午再联系我。"],
    "complaint": ["你们怎么老打电话？我要投诉。", "别再打了，已经说过很多次了。"],
    "dnc_requested": ["以后不要再给我打营销电话了。", "请把我的号码从名单里删掉。"],
    "answered": ["嗯，你说。", "好的，我知道了。"],
}


def transcripts_table(contacts: pa.Table, rng: np.random.Generator) -> pa.Table:
    """Turns for a sample of answered calls: [{speaker, text, t}] as JSON text."""
    answered = contacts.filter(pc.is_in(contacts.column("disposition"), pa.array(list(REPLIES))))
    take = np.sort(rng.choice(answered.num_rows, min(MAX_TRANSCRIPTS, answered.num_rows), replace=False))
    sample = answered.take(pa.array(take, pa.int64()))
    turns = []
    for disposition in sample.column("disposition").to_pylist():  # at most 500 rows: not a hot path
        replies = REPLIES[disposition]
        turns.append(
            json.dumps(
                [
                    {"speaker": "agent", "text": OPENING, "t": 0.0},
                    {"speaker": "customer", "text": replies[0], "t": 6.5},
                    {"speaker": "agent", "text": "好的，明白。", "t": 12.0},
                    {"speaker": "customer", "text": replies[1], "t": 18.5},
                ],
                ensure_ascii=False,
            )
        )
    return pa.table({"contact_id": sample.column("contact_id"), "turns": pa.array(turns, pa.string())})
