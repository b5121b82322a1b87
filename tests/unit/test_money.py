"""The amount syntax: the Python parser and the engine's SQL accept exactly the same set."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claims_recon.domain.money import format_money, is_amount, parse_amount
from claims_recon.engine.csv_stage import rule_sql, value_sql
from claims_recon.ingest.columns import ValueKind


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100", "100.00"),
        ("100.5", "100.50"),
        ("-75.40", "-75.40"),
        ("+3.00", "3.00"),
        (".5", "0.50"),
        ("  12.00 ", "12.00"),
        ("$1,200.50", "1200.50"),
        ("-$5.00", "-5.00"),
        ("$-5.00", "-5.00"),
        ("(50.00)", "-50.00"),
        ("($1,000)", "-1000.00"),
        ("1,234,567.89", "1234567.89"),
        ("0000123.40", "123.40"),
        ("9999999999999999.99", "9999999999999999.99"),
    ],
)
def test_accepted_amounts_parse_exactly(text, expected):
    assert parse_amount(text) == Decimal(expected)
    assert str(parse_amount(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "  ",
        "1.234",  # never silently rounded
        "12,x",
        "1,20.00",  # thousands groups must have three digits
        "1e3",
        "€5",
        "5-",
        "--5",
        "(-5)",
        "1.",
        "NaN",
        "inf",
        "10000000000000000.00",  # 17 integer digits overflow DECIMAL(18,2)
    ],
)
def test_rejected_amounts(text):
    assert not is_amount(text)
    with pytest.raises(ValueError, match="is not an amount"):
        parse_amount(text)


def test_format_money_always_two_places():
    assert format_money(Decimal("5")) == "5.00"
    assert format_money(Decimal("-0.1")) == "-0.10"
    assert format_money(None) == ""


def _engine_parse(con: duckdb.DuckDBPyConnection, text: str) -> Decimal | None:
    # The engine trims first; a value is loaded only when no rule is broken.
    t = "trim(CAST($raw AS VARCHAR))"
    rule = rule_sql(ValueKind.AMOUNT, t)
    value = value_sql(ValueKind.AMOUNT, t)
    broken, loaded = con.execute(f"SELECT {rule}, {value}", {"raw": text}).fetchone()
    # The load path and the error report must give the same verdict on every string.
    assert (broken is None) == (loaded is not None), (text, broken, loaded)
    return loaded


_CON = duckdb.connect()
amount_like = st.text(alphabet="0123456789.,-+$() e", max_size=14)


@settings(max_examples=300, deadline=None)
@given(amount_like)
def test_engine_and_python_agree_on_every_string(text):
    engine = _engine_parse(_CON, text)
    if is_amount(text):
        assert engine == parse_amount(text)
    else:
        assert engine is None


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-(10**17) + 1, max_value=10**17 - 1))
def test_every_cent_value_round_trips(cents):
    value = Decimal(cents).scaleb(-2)
    text = f"{value:.2f}"
    assert parse_amount(text) == value
    assert _engine_parse(_CON, text) == value
