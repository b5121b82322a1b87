"""The loader's shortcuts for plain files give exactly the verdicts of the full checks.

A file with no double quote skips the search for quotes and line breaks in IDs; an ASCII
file trims only where a value starts or ends with ' '. Both must agree with the full
expressions on every string such a file can hold.
"""

from __future__ import annotations

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from claims_recon.engine.csv_stage import _trim_sql, value_sql
from claims_recon.ingest.columns import MAX_ID_LENGTH, ValueKind

_CON = duckdb.connect()


def _one(sql: str, raw: str) -> object:
    return _CON.execute(f"SELECT {sql}", {"raw": raw}).fetchone()[0]


ascii_values = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127), max_size=12)
unquoted_ids = st.text(
    alphabet=st.characters(blacklist_characters='"\r\n', blacklist_categories=["Cs"]),
    max_size=MAX_ID_LENGTH + 3,
)


@settings(max_examples=300, deadline=None)
@given(ascii_values | st.sampled_from(["", " ", "  a", "a  ", " a b ", "\ta\t"]))
def test_the_ascii_trim_is_trim(raw):
    value = "CAST($raw AS VARCHAR)"
    assert _one(_trim_sql(value, ascii_only=True), raw) == _one(f"trim({value})", raw)


@settings(max_examples=300, deadline=None)
@given(unquoted_ids | st.sampled_from(["", "x" * MAX_ID_LENGTH, "x" * (MAX_ID_LENGTH + 1)]))
def test_the_id_rule_without_quotes_is_the_id_rule(raw):
    t = "CAST($raw AS VARCHAR)"
    full = value_sql(ValueKind.ID, t, quoted=True)
    assert _one(value_sql(ValueKind.ID, t, quoted=False), raw) == _one(full, raw)


def test_the_full_id_rule_refuses_quotes_and_line_breaks():
    t = "CAST($raw AS VARCHAR)"
    for raw in ('a"b', "a\nb", "a\rb"):
        assert _one(value_sql(ValueKind.ID, t, quoted=True), raw) is None
        assert _one(value_sql(ValueKind.ID, t, quoted=False), raw) == raw
