"""Reading a consumer's gap fills and duplicates off its metrics page."""

from __future__ import annotations

from plumbing.tables import gap_fills_and_duplicates

Q = 'queue="reporting.events",type="kerjasama.agreement'
PAGE = "\n".join([
    "# HELP kerjasama_messages_total Messages taken by a consumer.",
    "# TYPE kerjasama_messages_total counter",
    f'kerjasama_messages_total{{{Q}.signed.v1",outcome="applied"}} 12.0',
    f'kerjasama_messages_total{{{Q}.drafted.v1",outcome="applied_with_gap_filled"}} 2.0',
    f'kerjasama_messages_total{{{Q}.signed.v1",outcome="applied_with_gap_filled"}} 1.0',
    f'kerjasama_messages_total{{{Q}.proposed.v1",outcome="duplicate"}} 3.0',
    f'kerjasama_messages_created{{{Q}.proposed.v1",outcome="duplicate"}} 1.7e+09',
])


def test_fills_and_duplicates_are_summed_over_types() -> None:
    assert gap_fills_and_duplicates(PAGE) == (3, 3)


def test_a_page_without_them_is_zero() -> None:
    assert gap_fills_and_duplicates("# nothing consumed yet\n") == (0, 0)
