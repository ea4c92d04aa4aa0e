"""The coded catalogue of refusals and warnings for spreadsheet intake.

Codes are stable (other tools and the web layer key on them); messages are templates in
Simplified Chinese for people and English for logs, each naming the file and what to do.
"""
from __future__ import annotations

from dataclasses import dataclass, field

MESSAGES_ZH: dict[str, str] = {
    "not_a_spreadsheet": "文件「{file}」不是 Excel 表格（{detail}）。请上传 .xlsx 或 .xls 文件。",
    "file_not_found": "找不到文件「{file}」。请检查文件名和所在的文件夹。",
    "cannot_open": "无法打开文件「{file}」（{detail}）。请检查文件是否仍在、是否有读取权限。",
    "unsupported_format": "文件「{file}」的格式暂不支持（{detail}）。请在 Excel 中“另存为” .xlsx 后重新上传。",
    "corrupt": "文件「{file}」已损坏，无法读取（{detail}）。请用 Excel 打开并另存为 .xlsx 后重新上传。",
    "too_large": "文件「{file}」过大（{detail}）。请删除多余的工作表或空行后重新上传。",
    "zip_bomb": "文件「{file}」解压后的大小异常（{detail}），疑似压缩炸弹，已拒绝读取。请用 Excel 打开后另存为 .xlsx 再上传。",
    "too_many_rows": "文件「{file}」的工作表「{sheet}」声明的行数超出 Excel 上限（{detail}）。请检查文件来源，另存为 .xlsx 后再上传。",
    "too_many_columns": "文件「{file}」的工作表「{sheet}」声明的列数超出 Excel 上限（{detail}）。请检查文件来源，另存为 .xlsx 后再上传。",
    "too_many_cells": "文件「{file}」的工作表「{sheet}」单元格过多（{detail}）。请删除远离表格的多余单元格或拆分文件后再上传。",
    "encrypted": "文件「{file}」设置了打开密码（已加密），系统无法读取。请在 Excel 中取消密码（文件 › 信息 › 保护工作簿）后重新上传。",
    "macros": "文件「{file}」是启用宏的工作簿（.xlsm），为安全起见已拒绝。请在 Excel 中“另存为” .xlsx（Excel 工作簿）后重新上传。",
    "xml_attack": "文件「{file}」内部的 XML 含有实体声明（{detail}），可能是恶意文件，已拒绝读取。请用 Excel 打开后另存为 .xlsx 再上传。",
    "sheet_not_found": "文件「{file}」中没有名为「{sheet}」的工作表。请检查工作表名称。",
    # limits of one read (settings YIBIAO_MAX_ROWS, YIBIAO_PARSE_MEMORY_MB, YIBIAO_*_SECONDS):
    # the file may be fine, but reading it at once would cost the server too much
    "over_row_limit": "文件「{file}」的工作表「{sheet}」有 {detail} 行，超过一次读取的上限 {limit} 行，已停止读取。请把文件拆分为几个较小的文件后分别上传。",
    "over_memory_limit": "读取文件「{file}」的工作表「{sheet}」所需内存超过上限 {limit}（{detail}），已停止读取。请删除表格以外带格式的空白行列，或把文件拆分后分别上传。",
    "over_time_limit": "读取文件「{file}」超过时间上限 {limit}（{detail}），已停止读取。请删除多余的工作表、大范围的合并单元格和带格式的空白行列，或把文件拆分后重新上传。",
    "web_row_limit": "文件「{file}」有 {detail} 行，网页导入一次最多 {limit} 行，已拒绝。请把文件拆分后分别上传，或请管理员在服务器上用命令 yibiao ledger import 导入。",
    # warnings: the file is read, but a person should know
    "formula_no_cache": "文件「{file}」工作表「{sheet}」单元格 {cell} 是公式但没有保存计算结果，系统不计算公式，该格按空值读取。请在 Excel 中打开并保存一次后重新上传。",
    "no_header": "文件「{file}」工作表「{sheet}」中没有找到表头行。请确认表头在前 60 行内。",
    "macros_ignored": "文件「{file}」含有宏（VBA 代码）。系统只读取其中的表格，从不运行宏；填好的报表输出为不含宏的 .xlsx 文件。如模板依赖宏（如自动校验、按钮），请在填报说明中写明。",
}

MESSAGES_EN: dict[str, str] = {
    "not_a_spreadsheet": "{file} is not an Excel workbook ({detail}). Upload an .xlsx or .xls file.",
    "file_not_found": "{file} was not found. Check the file name and its folder.",
    "cannot_open": "{file} cannot be opened ({detail}). Check that it is still there and readable.",
    "unsupported_format": "{file} uses an unsupported format ({detail}). Save it as .xlsx in Excel and upload again.",
    "corrupt": "{file} is damaged and cannot be read ({detail}). Open it in Excel, save as .xlsx and upload again.",
    "too_large": "{file} is too large ({detail}). Remove unused sheets or rows and upload again.",
    "zip_bomb": "{file} expands to an abnormal size ({detail}); refused as a likely zip bomb. Save it as .xlsx in Excel and upload again.",
    "too_many_rows": "Sheet {sheet} of {file} claims more rows than Excel allows ({detail}). Check where the file came from.",
    "too_many_columns": "Sheet {sheet} of {file} claims more columns than Excel allows ({detail}). Check where the file came from.",
    "too_many_cells": "Sheet {sheet} of {file} has too many cells ({detail}). Delete stray cells far from the table or split the file.",
    "encrypted": "{file} is password-protected (encrypted) and cannot be read. Remove the password in Excel and upload again.",
    "macros": "{file} is a macro-enabled workbook (.xlsm); refused for safety. Save it as an .xlsx workbook in Excel and upload again.",
    "xml_attack": "{file} contains XML entity declarations ({detail}); refused as possibly malicious. Save it as .xlsx in Excel and upload again.",
    "sheet_not_found": "{file} has no sheet named {sheet}.",
    "over_row_limit": "Sheet {sheet} of {file} has {detail} rows, over the limit of {limit} rows for one read; reading stopped. Split the file and upload the parts.",
    "over_memory_limit": "Reading sheet {sheet} of {file} needs more memory than the limit of {limit} ({detail}); reading stopped. Delete formatted empty rows and columns outside the table, or split the file.",
    "over_time_limit": "Reading {file} took longer than the limit of {limit} ({detail}); reading stopped. Remove extra sheets, large merged ranges and formatted empty rows and columns, or split the file.",
    "web_row_limit": "{file} has {detail} rows; the web import takes at most {limit} rows at a time, so it was refused. Split the file, or ask an administrator to run yibiao ledger import on the server.",
    "formula_no_cache": "Cell {cell} on sheet {sheet} of {file} is a formula without a saved result; formulas are never evaluated, so it reads as empty. Open and save the file in Excel, then upload again.",
    "no_header": "No header row found on sheet {sheet} of {file} (searched the first 60 rows).",
    "macros_ignored": "{file} contains macros (VBA). Only its tables are read and its macros are never run; filled reports are written as macro-free .xlsx. If the template relies on macros (checks, buttons), say so in the filling instructions.",
}


def _render(table: dict[str, str], code: str, params: dict[str, str]) -> str:
    """Fill a template, tolerating missing parameters: a message must never crash.

    The English messages take `detail_en` when the refusal gave one (the Chinese
    `detail` otherwise: a file name or an exception text reads the same in both)."""
    values = {"file": "", "sheet": "", "cell": "", "detail": "", "limit": ""} | params
    if table is MESSAGES_EN and params.get("detail_en"):
        values["detail"] = params["detail_en"]
    return table[code].format(**values)


@dataclass
class SheetError(Exception):
    """A refusal: the file is not read at all. `code` is stable, `message` is for people."""

    code: str
    params: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in MESSAGES_ZH:
            raise KeyError(f"unknown SheetError code {self.code!r}")
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return _render(MESSAGES_ZH, self.code, self.params)

    @property
    def message_en(self) -> str:
        return _render(MESSAGES_EN, self.code, self.params)

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


@dataclass(frozen=True)
class SheetWarning:
    """Something a person should know about a file that was read anyway."""

    code: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return _render(MESSAGES_ZH, self.code, self.params)

    @property
    def message_en(self) -> str:
        return _render(MESSAGES_EN, self.code, self.params)
