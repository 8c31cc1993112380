"""Damaged input files made from small valid ones, deterministically (one seeded ``random.Random``).

Each maker returns ``(name, bytes)`` pairs: the named mutations every reader must survive (cut inside a
character, a 10 MB line, an anchor bomb …) and a number of random ones (byte flips, cuts, splices).
"""

from __future__ import annotations

import codecs
import io
import random
import re
from collections.abc import Callable

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)
BAD_DATES = ("0001-01-01", "9999-12-31", "0000-00-00", "1899-12-30", "99999-01-01", "2026-02-30", "-2026-01-01")
HUGE_NUMBERS = ("1e400", "9" * 400, "-0", "NaN", "inf", "0x1F", "1_000", "１２３")

Mutation = Callable[[random.Random, str], bytes]


def random_damage(rng: random.Random, data: bytes) -> bytes:
    """One to three random edits: flip bytes, cut, splice random bytes, drop or repeat a range."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        if not out:
            out += bytes(rng.randrange(256) for _ in range(8))
        i = rng.randrange(len(out))
        op = rng.randrange(5)
        if op == 0:
            for _ in range(rng.randint(1, 4)):
                out[rng.randrange(len(out))] = rng.randrange(256)
        elif op == 1:
            del out[i:]
        elif op == 2:
            out[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 6)))
        elif op == 3:
            del out[i : i + rng.randint(1, 20)]
        else:
            out[i:i] = out[i : i + rng.randint(1, 40)]
    return bytes(out)


def cut_inside_character(data: bytes) -> bytes:
    """The file cut one byte into its last multi-byte UTF-8 character."""
    starts = [i for i, b in enumerate(data) if b >= 0xC0]
    return data[: starts[-1] + 1] if starts else data[:-1]


def _rows(text: str) -> tuple[str, list[str]]:
    header, *rows = text.rstrip("\n").split("\n")
    return header, rows


def _join(header: str, rows: list[str]) -> str:
    return "\n".join([header, *rows]) + "\n"


def _replace_dates(text: str, bad: str, rng: random.Random) -> str:
    header, rows = _rows(text)
    k = rng.randrange(len(rows))
    rows[k] = re.sub(r"\d{4}-\d{2}-\d{2}", bad, rows[k])
    return _join(header, rows)


def _set_cell(text: str, rng: random.Random, value: str, column: int | None = None) -> str:
    header, rows = _rows(text)
    k = rng.randrange(len(rows))
    cells = rows[k].split(",")
    cells[column if column is not None else rng.randrange(len(cells))] = value
    rows[k] = ",".join(cells)
    return _join(header, rows)


def csv_mutations(rng: random.Random, text: str, random_count: int, big: bool) -> list[tuple[str, bytes]]:
    """Named damage for a CSV file written with ',' and '\\n', then ``random_count`` random ones."""
    header, rows = _rows(text)
    utf8 = text.encode()
    named: list[tuple[str, bytes]] = [
        ("empty", b""),
        ("only_bom", codecs.BOM_UTF8),
        ("only_header", (header + "\n").encode()),
        ("header_without_newline", header.encode()),
        ("blank_lines_only", b"\n \n\n"),
        ("leading_blank_lines", b"\n\n" + utf8),
        ("crlf", text.replace("\n", "\r\n").encode()),
        ("cr_only", text.replace("\n", "\r").encode()),
        ("bom", codecs.BOM_UTF8 + utf8),
        ("bom_in_the_middle", _join(header, [rows[0], "\ufeff" + rows[1], *rows[2:]]).encode()),
        ("gbk", text.encode("gbk")),
        ("gb18030", text.encode("gb18030")),
        ("utf16", text.encode("utf-16")),
        ("utf16le_without_bom", text.encode("utf-16-le")),
        ("cut_inside_character", cut_inside_character(utf8)),
        ("cut_inside_character_gbk", text.encode("gbk")[:-2]),
        ("latin1_bytes_in_a_cell", _set_cell(text, rng, "X").encode().replace(b",X", b",\xe9t\xe9", 1)),
        ("encoded_surrogate", _set_cell(text, rng, "X").encode().replace(b",X", b",\xed\xa0\x80", 1)),
        ("overlong_utf8", _set_cell(text, rng, "X").encode().replace(b",X", b",\xc0\xaf", 1)),
        ("nul_in_a_cell", _set_cell(text, rng, "a\x00b").encode()),
        ("nul_in_the_header", (header.replace(",", ",\x00", 1) + "\n" + "\n".join(rows) + "\n").encode()),
        ("control_characters", _set_cell(text, rng, "\x01\x1b[31m\x7f").encode()),
        ("huge_header_name", _join(header + "," + "x" * 200_000, [r + ",1" for r in rows]).encode()),
        ("wide_header", _join(header + "".join(f",c{i}" for i in range(16_000)), rows).encode()),
        ("field_200k_chars", _set_cell(text, rng, "y" * 200_000).encode()),
        ("field_over_the_cap", _set_cell(text, rng, "z" * 1_200_000).encode()),
        ("unbalanced_quote", _set_cell(text, rng, '"open').encode()),
        ("quote_inside_a_cell", _set_cell(text, rng, 'a"b').encode()),
        ("quoted_newline", _set_cell(text, rng, '"a\nb"').encode()),
        ("duplicate_header", _join(header + "," + header.split(",")[0], [r + ",x" for r in rows]).encode()),
        ("empty_header_cell", _join(header + ",", rows).encode()),
        ("ragged_long", _set_cell(text, rng, "a,b,c").encode()),
        ("ragged_short", _join(header, [rows[0].rsplit(",", 1)[0], *rows[1:]]).encode()),
        ("only_delimiters", _join(header, [*rows, "," * header.count(",")]).encode()),
        ("duplicate_rows", _join(header, rows + rows).encode()),
        ("semicolons", text.replace(",", ";").encode()),
        ("tabs_and_commas_mixed", _join(header.replace(",", "\t"), rows).encode()),
        *((f"date_{bad}", _replace_dates(text, bad, rng).encode()) for bad in BAD_DATES),
        *((f"number_{n[:8]}", _set_cell(text, rng, n).encode()) for n in HUGE_NUMBERS),
    ]
    if big:
        named.append(("line_10mb", _set_cell(text, rng, "w" * 10_000_000).encode()))
    out = list(named)
    for i in range(random_count):
        base = text.encode(rng.choice(["utf-8", "utf-8", "gbk"]))
        out.append((f"random_{i}", random_damage(rng, base)))
    return out


def jsonl_mutations(rng: random.Random, text: str, random_count: int) -> list[tuple[str, bytes]]:
    lines = text.rstrip("\n").split("\n")
    utf8 = text.encode()
    named = [
        ("empty", b""),
        ("blank_lines_only", b"\n\n"),
        ("cut_short", utf8[: len(utf8) // 2]),
        ("cut_inside_character", cut_inside_character(utf8)),
        ("not_an_object", b"[1, 2]\n" + utf8),
        ("null_line", utf8 + b"null\n"),
        ("deep_nesting", utf8 + b'{"contact_id": "X", "turns": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"),
        ("deep_nesting_unclosed", utf8 + b"[" * 200_000 + b"\n"),
        ("huge_number", utf8 + b'{"contact_id": ' + b"9" * 10_000 + b"}\n"),
        ("nan_and_infinity", utf8 + b'{"contact_id": NaN, "turns": Infinity}\n'),
        ("invalid_utf8", utf8 + b'{"contact_id": "\xff\xfe"}\n'),
        ("gbk", text.encode("gbk")),
        ("duplicate_keys", utf8 + b'{"contact_id": "A", "contact_id": "B", "turns": []}\n'),
        ("wrong_types", utf8 + b'{"contact_id": ["x"], "turns": "not a list"}\n'),
        ("crlf", text.replace("\n", "\r\n").encode()),
        ("bom", codecs.BOM_UTF8 + utf8),
        ("field_over_the_cap", utf8 + b'{"contact_id": "X", "turns": "' + b"t" * 1_200_000 + b'"}\n'),
        ("nul", utf8 + b'{"contact_id": "a\\u0000b", "turns": []}\n'),
        ("extra_keys", utf8 + b'{"contact_id": "Y", "turns": [], "other": {"a": 1}}\n'),
        ("truncated_last_line", ("\n".join(lines) + '\n{"contact_id": "Z", "tu').encode()),
    ]
    return named + [(f"random_{i}", random_damage(rng, utf8)) for i in range(random_count)]


def yaml_mutations(rng: random.Random, text: str, random_count: int) -> list[tuple[str, bytes]]:
    """Damage for a YAML configuration file."""
    lines = text.splitlines()
    keyed = [i for i, line in enumerate(lines) if re.match(r"^\s*[A-Za-z_]+:\s*\S", line)]
    top = [i for i, line in enumerate(lines) if re.match(r"^[A-Za-z_]+:", line)]
    k = rng.choice(keyed)
    t = rng.choice(top)

    def with_value(value: str) -> bytes:
        changed = list(lines)
        changed[k] = re.sub(r":\s*\S.*$", f": {value}", changed[k])
        return ("\n".join(changed) + "\n").encode()

    named = [
        ("empty", b""),
        ("only_a_comment", b"# nothing here\n"),
        ("a_list", b"- a\n- b\n"),
        ("a_scalar", b"just text\n"),
        ("cut_short", text.encode()[: len(text.encode()) // 2]),
        ("cut_inside_character", cut_inside_character(text.encode())),
        ("tabs", text.replace("  ", "\t").encode()),
        ("duplicate_key", ("\n".join([*lines[: t + 1], lines[t], *lines[t + 1 :]]) + "\n").encode()),
        ("anchor_bomb", (BOMB + text).encode()),
        ("anchor_bomb_as_a_value", (BOMB.replace("a: &a", "x_: &a") + text + "\nbomb: *i\n").encode()),
        ("recursive_alias", b"a: &a [*a]\n" + text.encode()),
        ("undefined_alias", with_value("*nowhere")),
        ("deep_nesting", b"a: " + b"[" * 1_500 + b"]" * 1_500 + b"\n"),
        ("deep_mapping", ("".join(f"{' ' * i}k{i}:\n" for i in range(2_000)) + " " * 2_000 + "v: 1\n").encode()),
        ("bigger_than_the_cap", text.encode() + b"#" + b"p" * (1 << 20) + b"\n"),
        ("gbk", text.encode("gbk")),
        ("utf16", text.encode("utf-16")),
        ("bom", codecs.BOM_UTF8 + text.encode()),
        ("two_documents", text.encode() + b"---\nname: other\n"),
        ("python_tag", b"name: !!python/object/apply:os.system [echo hi]\n" + text.encode()),
        ("complex_key", b"? [a, b]\n: 1\n" + text.encode()),
        ("merge_key", b"base: &b {x: 1}\nother:\n  <<: *b\n" + text.encode()),
        *(
            (f"value_{name}", with_value(value))
            for name, value in [
                ("list", "[1, 2]"),
                ("mapping", "{a: 1}"),
                ("yes", "yes"),
                ("null", "~"),
                ("huge_float", "1e999"),
                ("huge_int", "9" * 400),
                ("bad_date", "2026-13-45"),
                ("nul", '"a\\0b"'),
                ("long_text", "x" * 200_000),
            ]
        ),
    ]
    return named + [(f"random_{i}", random_damage(rng, text.encode())) for i in range(random_count)]


def json_mutations(rng: random.Random, text: str, random_count: int) -> list[tuple[str, bytes]]:
    """Damage for a saved model's JSON state file (state.json)."""
    data = text.encode()
    named = [
        ("empty", b""),
        ("cut_short", data[: len(data) // 2]),
        ("not_an_object", b"[1, 2, 3]"),
        ("null", b"null"),
        ("deep_nesting", b"[" * 100_000 + b"]" * 100_000),
        ("huge_number", b'{"model": "logistic", "params": ' + b"9" * 10_000 + b"}"),
        ("invalid_utf8", b'{"model": "\xff"}'),
        ("wrong_kind", data.replace(b'"logistic"', b'["logistic"]', 1)),
        ("unknown_kind", data.replace(b'"logistic"', b'"pickle"', 1)),
        ("no_params", re.sub(rb'"params": \{[^}]*\},?', b"", data, count=1)),
        ("params_wrong_type", re.sub(rb'"params": \{[^}]*\}', b'"params": "C=1"', data, count=1)),
        ("features_wrong_type", re.sub(rb'"features": \[[^\]]*\]', b'"features": 5', data, count=1)),
        ("gbk_bytes", text.encode("gbk")),
        ("utf16", text.encode("utf-16")),
    ]
    return named + [(f"random_{i}", random_damage(rng, data)) for i in range(random_count)]


def xlsx_mutations(rng: random.Random, rows: list[list[object]], random_count: int) -> list[tuple[str, bytes]]:
    """Damage for a workbook: not a zip, cut short, formulas, a 16k-column sheet, odd cell values."""
    from openpyxl import Workbook

    def book(table: list[list[object]], empty: bool = False) -> bytes:
        wb = Workbook()
        if not empty:
            for row in table:
                wb.active.append(row)
        buffer = io.BytesIO()
        wb.save(buffer)
        return buffer.getvalue()

    header, *body = rows
    valid = book(rows)
    named = [
        ("empty_file", b""),
        ("garbage", bytes(rng.randrange(256) for _ in range(2_000))),
        ("zip_of_garbage", b"PK\x03\x04" + bytes(rng.randrange(256) for _ in range(2_000))),
        ("cut_short", valid[: len(valid) // 2]),
        ("cut_at_the_end", valid[:-30]),
        ("empty_sheet", book([], empty=True)),
        ("only_header", book([header])),
        ("formula_cells", book([header, *[[*r[:-1], "=1/0"] for r in body]])),
        ("wide_sheet", book([[*header, *[f"c{i}" for i in range(16_000)]], [*body[0], *range(16_000)]])),
        ("odd_values", book([header, *[[r[0], 1e308, None, True, "0001-01-01", "\t"] for r in body]])),
        ("cell_at_excel_limit", book([header, [body[0][0], "p" * 32_767, *body[0][2:]]])),
        ("duplicate_header", book([[*header, header[0]], *[[*r, "x"] for r in body]])),
        ("csv_named_xlsx", b"customer_id,phone\nC1,13800138000\n"),
    ]
    return named + [(f"random_{i}", random_damage(rng, valid)) for i in range(random_count)]
