"""People's words, not codes: place names as people know them today, no element codes,
confidence floats or rule keys in what a page shows (they may sit in a tooltip or a
技术信息 block), shares as percentages, times in YIBIAO_TIME_ZONE."""

from __future__ import annotations

import pytest

from yibiao.values.divisions import OLD_NAME_MARK, division_name


@pytest.mark.parametrize(
    ("code", "shown"),
    [
        ("430104", "湖南省长沙市岳麓区"),  # 西区 until 1995: the old name must not win
        ("430105", "湖南省长沙市开福区"),  # 北区 until 1995
        ("110105", "北京市朝阳区"),  # 市辖区 is silent
        ("430100", "湖南省长沙市"),
        ("43", "湖南省"),
        ("110103", "北京市崇文区" + OLD_NAME_MARK),  # merged into 东城区 in 2010
        ("430122", "湖南省望城县" + OLD_NAME_MARK),  # became 望城区 (430112) in 2011
    ],
)
def test_a_division_code_reads_as_the_current_place(code: str, shown: str) -> None:
    assert division_name(code) == shown


def test_a_code_that_never_existed_has_no_name() -> None:
    assert division_name("990105") is None
