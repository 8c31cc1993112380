"""The hash behind every assignment: published test vectors, a plain reference, and stability of u."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from callwise.experiments import ExperimentError, campaign_seed
from callwise.experiments.assign import arm_salt, group_salt
from callwise.experiments.hashing import fnv1a_prefix, hash64, splitmix_finalise, uniform

M = 2**64


def reference_fnv1a(data: bytes) -> int:
    """FNV-1a 64-bit exactly as the FNV specification states it."""
    h = 0xCBF29CE484222325
    for byte in data:
        h ^= byte
        h = (h * 0x100000001B3) % M
    return h


def reference_finalise(x: int) -> int:
    """SplitMix64's output step (Steele, Lea & Flood 2014) on Python integers."""
    z = (x + 0x9E3779B97F4A7C15) % M
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) % M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) % M
    return z ^ (z >> 31)


def reference_u(seed: int, customer_id: str, salt: str = "") -> float:
    """u as docs/decisions/0008 writes it, one customer at a time."""
    h = reference_finalise(reference_fnv1a(f"{seed}:{salt}{customer_id}".encode()))
    return (h >> 11) / 2**53


def test_reference_matches_published_vectors():
    # FNV-1a 64 test vectors from the FNV reference (isthe.com/chongo/tech/comp/fnv)
    assert reference_fnv1a(b"") == 0xCBF29CE484222325
    assert reference_fnv1a(b"a") == 0xAF63DC4C8601EC8C
    assert reference_fnv1a(b"foobar") == 0x85944171F73967E8
    # SplitMix64 seeded with 0: its first three outputs (the generator adds the constant, then finalises)
    golden = 0x9E3779B97F4A7C15
    assert [reference_finalise(k * golden % M) for k in range(3)] == [
        0xE220A8397B1DCDAF,
        0x6E789E6AA1B965F4,
        0x06C45D188009454F,
    ]


def test_module_primitives_match_reference():
    for text in ["", "a", "foobar", "7:", "客户"]:
        assert fnv1a_prefix(text) == reference_fnv1a(text.encode())
    xs = [0, 1, 2**63, M - 1, 0x0123456789ABCDEF]
    got = splitmix_finalise(np.array(xs, dtype=np.uint64))
    assert [int(g) for g in got] == [reference_finalise(x) for x in xs]


def test_golden_u_values_from_the_plain_reference():
    ids = ["C00000001", "C00000002", "10086", "客户-甲-001", "x" * 70, "a", "A-1 B"]  # mixed lengths in one batch
    for seed in (0, 7, 20260701, -3):
        got = uniform(pd.Series(ids, dtype="str"), group_salt(seed))
        assert got.tolist() == [reference_u(seed, c) for c in ids]
        arm = uniform(pd.Series(ids, dtype="str"), arm_salt(seed))
        assert arm.tolist() == [reference_u(seed, c, "arm:") for c in ids]


def test_hash_is_the_same_for_object_and_str_input_and_any_chunking():
    ids = [f"C{i}" for i in range(1000)]
    a = hash64(pd.Series(ids, dtype="str"), "1:")
    b = hash64(pd.Series(ids, dtype=object), "1:")
    c = hash64(pd.Series(ids, dtype="str").iloc[500:], "1:")
    assert (a == b).all() and (a[500:] == c).all()


def test_u_is_uniform_and_independent_across_salts_and_seeds():
    ids = pd.Series([f"C{i:08d}" for i in range(50_000)], dtype="str")  # sequential ids: the hard case
    u, v, w = uniform(ids, group_salt(7)), uniform(ids, arm_salt(7)), uniform(ids, group_salt(8))
    for x in (u, v, w):
        assert ((x >= 0) & (x < 1)).all()
        assert stats.kstest(x, "uniform").pvalue > 0.001
    bound = 4 / np.sqrt(len(ids))  # 4 standard errors of a correlation under independence
    assert abs(np.corrcoef(u, v)[0, 1]) < bound and abs(np.corrcoef(u, w)[0, 1]) < bound
    grid = np.histogram2d(u, v, bins=10, range=[[0, 1], [0, 1]])[0]
    assert stats.chisquare(grid.ravel()).pvalue > 0.001


def test_campaign_seed_is_the_reference_hash_of_the_campaign_id():
    expected = reference_finalise(reference_fnv1a(b"wealth-2026-07:0")) >> 1
    assert campaign_seed("wealth-2026-07") == expected and 0 <= expected < 2**63
    seeds = {campaign_seed(f"CMP{k}", s) for k in range(50) for s in (0, 1)}
    assert len(seeds) == 100  # every campaign (and seed) gets its own
    for bad in ("", "  ", None):
        with pytest.raises(ExperimentError, match="campaign_id"):
            campaign_seed(bad)
