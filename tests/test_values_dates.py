"""Dates as people type them, Excel's serials and year-month values for 出生年月."""

from __future__ import annotations

import datetime as dt

import pytest

from yibiao.values import DateValue, ValueProblem, from_excel_serial, parse_date
from yibiao.values.dates import parse_date_with_notes


@pytest.mark.parametrize(
    ("typed", "iso", "precision"),
    [
        ("2026-11-01", "2026-11-01", "day"),
        ("2026/11/1", "2026-11-01", "day"),
        ("2026.11.01", "2026-11-01", "day"),
        ("2026-1-1", "2026-01-01", "day"),
        ("20261101", "2026-11-01", "day"),
        ("2026年11月1日", "2026-11-01", "day"),
        ("2026 年 11 月 1 日", "2026-11-01", "day"),
        ("2026年11月1号", "2026-11-01", "day"),
        ("２０２６年１１月１日", "2026-11-01", "day"),
        ("２０２６－１１－０１", "2026-11-01", "day"),
        ("2026-11-01 00:00:00", "2026-11-01", "day"),
        ("2024-02-29", "2024-02-29", "day"),
        ("2026年11月", "2026-11", "month"),
        ("1949年12月", "1949-12", "month"),
        ("1949.12", "1949-12", "month"),
        ("1949-12", "1949-12", "month"),
        ("1949/1", "1949-01", "month"),
        ("194912", "1949-12", "month"),
        (20261101, "2026-11-01", "day"),
        (20261101.0, "2026-11-01", "day"),
        (194912, "1949-12", "month"),
        (1949.12, "1949-12", "month"),
        (1949.05, "1949-05", "month"),
        (dt.date(2026, 11, 1), "2026-11-01", "day"),
        (dt.datetime(2026, 11, 1, 0, 0), "2026-11-01", "day"),
    ],
)
def test_typed_dates(typed: object, iso: str, precision: str) -> None:
    value = parse_date(typed)
    assert (value.isoformat(), value.precision) == (iso, precision)


@pytest.mark.parametrize(
    ("serial", "day"),
    [
        (1, dt.date(1900, 1, 1)),
        (59, dt.date(1900, 2, 28)),
        (61, dt.date(1900, 3, 1)),  # after Lotus' phantom leap day
        (45000, dt.date(2023, 3, 15)),
        (45000.75, dt.date(2023, 3, 15)),  # the time of day is dropped
        ("45000", dt.date(2023, 3, 15)),
        (46327, dt.date(2026, 11, 1)),
        (2958465, dt.date(9999, 12, 31)),
    ],
)
def test_excel_serials_in_the_1900_system(serial: object, day: dt.date) -> None:
    assert parse_date(serial).date == day


@pytest.mark.parametrize(
    ("typed", "code", "says"),
    [
        ("2026-02-30", "date_bad_day", "2026年2月只有 28 天"),
        ("2025-02-29", "date_bad_day", "只有 28 天"),
        ("2026-04-31", "date_bad_day", "只有 30 天"),
        ("2026-13-01", "date_bad_month", "月份应为 1 到 12"),
        ("2026年0月", "date_bad_month", "月份应为 1 到 12"),
        ("0000-01-01", "date_bad", "无法识别"),
        ("明天", "date_bad", "“明天”"),
        ("11/01/2026", "date_bad", "无法识别"),
        ("1949", "date_year_only", "只有年份"),
        (60, "date_excel_1900_02_29", "1900年2月29日"),
        (0, "date_excel_range", "超出范围"),
        (3000000, "date_excel_range", "超出范围"),
        (True, "date_bad", "无法识别"),
        ("", "empty", "未填写"),
    ],
)
def test_impossible_dates_are_rejected(typed: object, code: str, says: str) -> None:
    with pytest.raises(ValueProblem) as caught:
        parse_date(typed)
    assert caught.value.code == code
    assert says in caught.value.message_zh


@pytest.mark.parametrize(
    ("typed", "note"),
    [
        ("2026-11-01 08:30", "date_time_dropped"),
        (dt.datetime(2026, 11, 1, 8, 30), "date_time_dropped"),
        (1949.1, "date_month_maybe_10"),  # Excel turned 1949.10 into 1949.1
        ("1026-11-01", "date_year_unusual"),
    ],
)
def test_accepted_with_a_warning(typed: object, note: str) -> None:
    assert [n.code for n in parse_date_with_notes(typed).notes] == [note]


def test_from_excel_serial_directly() -> None:
    assert from_excel_serial(45000) == dt.date(2023, 3, 15)


def test_year_month_values() -> None:
    value = DateValue(1949, 12)
    assert value.precision == "month"
    assert value.date == dt.date(1949, 12, 1)
    assert value.display_zh() == "1949年12月"
    assert DateValue(2026, 11, 1).display_zh() == "2026年11月1日"
