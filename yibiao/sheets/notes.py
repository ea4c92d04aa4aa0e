"""The coded catalogue of what filling a template tells a person to check, in Chinese and English.

One table for both writers (in place and streaming) and for `filling.fill`, so the same
thing is said the same way whichever writer ran (STYLE.md habit 4). The fill results carry
the Chinese text (`note`), as the export, the web page and the audit show it; `note_en`
gives the same note in English. Every field a template names must be passed.
"""
from __future__ import annotations

# code -> (Simplified Chinese template, English template)
NOTES: dict[str, tuple[str, str]] = {
    "converted_xls": (
        "模板「{file}」是 .xls 格式，已转换为 .xlsx 输出；表头的值、合并单元格、列宽、行高、字体、边框和底色已重建，数据有效性、条件格式和打印标题未能从 .xls 转换。",
        "Template {file} is an .xls file and was written as .xlsx; the header's values, merged cells, widths, "
        "heights, fonts, borders and fills were rebuilt, its data validations, conditional formats and print titles could not be converted.",
    ),
    "blank_not_found": (
        "模板中没有找到填报项「{label}」，未填写。",
        "The template has no blank labelled {label}; it was not filled.",
    ),
    "static_total": (
        "合计行（第 {row} 行）{cell} 是模板中的固定内容「{value}」，未重新计算，请核对。",
        "Cell {cell} of the totals row (row {row}) holds the template's fixed value {value}, not recalculated: please check it.",
    ),
    "sum_added": (
        "合计行（第 {row} 行）已按本次填写的数据行写入求和公式：{cells}。",
        "The totals row (row {row}) now sums the rows written: {cells}.",
    ),
    "subtotal_replaced": (
        "模板数据区内第 {rows} 行的小计/合计行已被数据替换。",
        "The subtotal or totals rows inside the template's data region (rows {rows}) were replaced by data.",
    ),
    "pictures": (
        "模板「{file}」含图片或图表，本系统写出的文件不保留它们，请核对。",
        "Template {file} holds pictures or charts, which the written file does not keep: please check it.",
    ),
    "validation_ext": (
        "模板「{file}」中引用其他工作表的下拉列表（数据有效性扩展）未能保留。",
        "The dropdowns of template {file} that refer to another sheet (data validation extensions) could not be kept.",
    ),
    "card_field_missing": (
        "登记表中没有「{field}」对应的填写位置，该项未填写。",
        "The form has no place for {field}; it was not filled.",
    ),
    "too_long_row": (
        "第 {row} 行有 {got} 个值，但表头只有 {want} 列，多出的值未写入。",
        "Row {row} has {got} values but the header only {want} columns; the values beyond them were not written.",
    ),
    "too_long_text": (
        "第 {cells} 格的文字超过 Excel 单元格上限 32767 字，已截断，请核对。",
        "The text of cells {cells} was longer than Excel's 32,767 characters a cell and was cut: please check it.",
    ),
    "format_left_blank": (
        "第 {column} 列“{header}”有 {count} 个值无法按模板要求的格式填写，已留空待填：{problems}",
        "Column {column} ({header}): {count} values could not be written in the format the template asks for "
        "and were left blank to fill: {problems}",
    ),
}


def note(code: str, **params: object) -> str:
    """The note `code` in Chinese (KeyError for an unknown code: a writer's bug)."""
    return NOTES[code][0].format(**params)


def note_en(code: str, **params: object) -> str:
    """The same note in English."""
    return NOTES[code][1].format(**params)
