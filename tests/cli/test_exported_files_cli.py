"""Every CSV and XLSX file the commands write shows a hostile lake value as text, never as a formula.

A bank's files seed the values (agent ids, customer ids, names, a product name, a campaign id, a wide table's
text and header, a dialer export); then the commands an operator runs write their files, and every ``.csv`` and
``.xlsx`` under the output directory is scanned. The list of files comes from walking the directory, so a new
writer that bypasses ``callwise.export`` fails here.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import load_workbook

HOSTILE = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "＝1", "坐席\r=1+1"]
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
LEADS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def live(text: str) -> bool:
    """A cell a spreadsheet would run: starts like a formula and is not a plain number."""
    return text.startswith(LEADS) and not NUMBER.fullmatch(text)


def hostile_bank(operator, root: Path) -> None:
    """The synthetic bank with hostile agent ids, customer ids, names, a product name and quarantined rows."""
    assert operator.run("synth", "--out", str(root), "--customers", "300", "--seed", "3").exit_code == 0
    agents = dict(zip([f"A{i:04d}" for i in range(1, 9)], HOSTILE, strict=True))
    customers = dict(zip([f"C{i:08d}" for i in range(1, 9)], HOSTILE, strict=True))
    for path in root.glob("*.parquet"):
        table = pd.read_parquet(path)
        if "agent_id" in table:
            table["agent_id"] = table["agent_id"].replace(agents)
        if "customer_id" in table:
            table["customer_id"] = table["customer_id"].replace(customers)
        if path.stem == "customers":
            table.loc[: len(HOSTILE) - 1, "name"] = HOSTILE
            bad = table.iloc[: len(HOSTILE)].assign(customer_id=[f"{h}X" for h in HOSTILE], phone=HOSTILE)
            table = pd.concat([table, bad], ignore_index=True)  # not phones: quarantined as read
        if path.stem == "products":
            table.loc[table["product_id"] == "P_WM01", "name"] = HOSTILE[2]
        table.to_parquet(path, index=False)


def test_no_file_the_commands_write_holds_a_live_formula(operator, migrated, tmp_path):
    bank, out = tmp_path / "bank", tmp_path / "out"
    hostile_bank(operator, bank)
    lake = str(tmp_path / "lake")
    ingest = operator.json("ingest", str(bank), "--lake", lake, "--quarantine", str(out / "quarantine"))
    assert ingest["quarantined"] >= len(HOSTILE)

    model = str(tmp_path / "model")
    operator.json("train", "--lake", lake, "--out", model, "--model", "logistic", "--seed", "3")
    campaign = tmp_path / "campaign.yaml"
    campaign.write_text(
        "campaign_id: -A1-B2\nproduct_id: P_WM01\ndate: 2026-07-01\ncapacity: 40\nseed: 3\n",
        encoding="utf-8",
    )
    listed = out / "list"
    operator.json("lists", "build", "--campaign", str(campaign), "--lake", lake, "--model", model, "--out", str(listed))
    assert pd.read_parquet(listed / "calls.parquet")["agent_id"].isin(HOSTILE).any(), "hostile agents have calls"

    ids = tmp_path / "ids.csv"
    customer_ids = [*(f"{h}{i}" for i, h in enumerate(HOSTILE)), "C1", "C2"]  # the reader strips tab and CR
    scores = np.linspace(-1, 1, len(customer_ids))
    pd.DataFrame({"customer_id": customer_ids, "score": scores}).to_csv(ids, index=False, lineterminator="\r\n")
    operator.json("experiments", "assign", "--ids", str(ids), "--seed", "1", "--out", str(out / "assign.csv"))

    timing = tmp_path / "timing"
    operator.json("timing", "fit", "--lake", lake, "--as-of", "2026-07-01", "--out", str(timing), "--no-evaluate")
    operator.json("timing", "heatmap", "--model", str(timing), "--customer", HOSTILE[0], "--out", str(out / "h.csv"))

    rng = np.random.default_rng(0)
    wide = pd.DataFrame(
        {
            "job": rng.choice([*HOSTILE, "职员", "退休"], 300),
            '=HYPERLINK("x")': rng.normal(0, 1, 300).round(2),
            "balance": rng.integers(-500, 500, 300),
            "y": rng.choice(["yes", "no"], 300),
        }
    )
    wide.to_csv(tmp_path / "wide.csv", index=False, lineterminator="\r\n")  # CRLF: a cell with CR is quoted
    fit = ("model", "fit", "--table", str(tmp_path / "wide.csv"), "--target", "y", "--positive", "yes", "--cv", "0")
    operator.json(*fit, "--model", "scorecard", "--out", str(out / "card"))
    for name in ("scored.csv", "scored.xlsx"):
        table = str(tmp_path / "wide.csv")
        operator.json("model", "score", "--model", str(out / "card"), "--table", table, "--out", str(out / name))

    scored = pd.read_csv(out / "scored.csv", encoding="utf-8-sig")
    assert scored["balance"].tolist() == wide["balance"].tolist(), "negative numbers are written as they are"
    ordinary = ~wide["job"].isin(HOSTILE)
    assert scored["job"][ordinary].tolist() == wide["job"][ordinary].tolist() and ordinary.sum() > 40

    export = tmp_path / "dialer_export.csv"
    rows = EXAMPLES.joinpath("dialer_export.csv").read_text(encoding="utf-8").splitlines()
    rows += [f"{h}-{i},T202607,{h},13800130101,2026-07-01 10:00:00,5,{h},{h}," for i, h in enumerate(HOSTILE)]
    export.write_text("\n".join(rows) + "\n", encoding="utf-8")
    shutil.copy(EXAMPLES / "dialer_mapping.yaml", tmp_path / "mapping.yaml")
    imported = operator.json(
        "outcomes", "import", str(export), "--mapping", str(tmp_path / "mapping.yaml"), "--rejects", str(out / "r.csv")
    )
    assert imported["rejected"] >= len(HOSTILE)

    written = sorted(p for p in out.rglob("*") if p.suffix in (".csv", ".xlsx"))
    assert {"quarantine", "list", "dialer", "card", "assign.csv", "h.csv", "scored.csv", "scored.xlsx", "r.csv"} <= {
        p.parent.name if p.parent != out else p.name for p in written
    }
    first_live = {str(p.relative_to(out)): next((c for c in cells(p) if live(c)), None) for p in written}
    unsafe = {name: cell for name, cell in first_live.items() if cell is not None}
    assert not unsafe, "\n".join(f"{name}: {cell!r}" for name, cell in sorted(unsafe.items()))
    quoted = [c for p in written for c in cells(p) if c.startswith("'") and c[1:].startswith(LEADS)]
    assert len(quoted) >= 20, "the hostile values reached the files, quoted"


def cells(path: Path) -> list[str]:
    """Every text cell; a formula cell of an XLSX file comes back as its formula (``=…``), so it counts as live."""
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as f:
            return [c for row in csv.reader(f) for c in row]
    book = load_workbook(path)
    return [c.value for s in book.worksheets for row in s.iter_rows() for c in row if c.data_type in ("s", "f")]
