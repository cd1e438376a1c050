"""The words of each reply, from the worker's results (see :mod:`xlreport.central.mail.worker`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from xlreport.central.mail.compose import (
    MAX_PROBLEM_LINES,
    SIGNATURE,
    WORKBOOK_SUFFIXES,
    greeting,
    how_to_text,
    money,
    ordinal,
)
from xlreport.central.mail.headers import one_line
from xlreport.core.failures import EXIT_ERRORS, EXIT_INTERNAL, EXIT_OK, EXIT_UNUSABLE


class Notice(StrEnum):
    """Short replies that carry no data (refused, unreadable, too large, failed)."""

    UNPARSEABLE = "unparseable"
    TOO_LARGE = "too-large"
    UNVERIFIED = "unverified"
    FAILED = "failed"
    BUILD_BROKEN = "build-broken"


@dataclass
class Body:
    text: str
    files: list[tuple[str, bytes | Path]] = field(default_factory=list)
    need_template: bool = False


def file_status(r: dict[str, Any]) -> str:
    return {EXIT_OK: "已通过", EXIT_ERRORS: "有错误", EXIT_UNUSABLE: "无法使用"}.get(exit_code(r), "处理失败")


def exit_code(r: dict[str, Any]) -> int:
    if r.get("internal"):
        return EXIT_INTERNAL
    if r.get("rejected"):
        return EXIT_UNUSABLE
    return int(r.get("exit_code", EXIT_UNUSABLE))


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def notice(kind: Notice, unit: str | None, subject: str, detail: str = "") -> str:
    # A forged message's subject is a stranger's words: never relayed to the unit.
    subject = f"《{one_line(subject, 80)}》" if subject and kind is not Notice.UNVERIFIED else ""
    text = {
        Notice.UNPARSEABLE: f"您发送的邮件{subject}格式异常，系统无法读取，未予处理。请用常用邮件客户端重新发送，"
                            "并把工作簿作为普通附件添加。",
        Notice.TOO_LARGE: f"您发送的邮件{subject}大小为{detail}，超过本邮箱的接收上限，未予处理。"
                          "绩效自评工作簿通常不超过1MB，请删除无关内容（图片、无关工作表）后重新发送。",
        Notice.UNVERIFIED: f"本邮箱收到一封以贵单位邮箱名义发送的邮件{subject}，但未能确认发件人（{detail}），"
                           "已按规定隔离，未作处理。如确为贵单位发送，请联系汇总单位核实；如不是，请忽略本邮件。",
        Notice.FAILED: f"您发送的邮件{subject}已收到，但系统多次处理均未完成，已记录并通知管理员，"
                       "将由人工处理并另行答复，无需重复发送。",
        Notice.BUILD_BROKEN: f"您发送的邮件{subject}已收到，处理结果已记录，但回复内容未能生成，"
                             "汇总单位将人工核对后另行答复，无需重复发送。",
    }[kind]
    return greeting(unit) + text + SIGNATURE


def no_workbook(unit: str, subject: str, other_files: list[str], template_name: str) -> str:
    received = ""
    if other_files:
        received = f"（收到的附件“{'”“'.join(one_line(n, 80) for n in other_files[:5])}”不是Excel工作簿）"
    return (greeting(unit) + f"您发送的邮件《{subject or '（无主题）'}》中没有找到绩效自评工作簿（.xlsx）附件{received}。"
            f"随信附上空白模板，填写方法：\n{how_to_text(template_name)}" + SIGNATURE)


def results_body(unit: str, subject: str, results: list[dict[str, Any]], hints: list[str]) -> Body:
    body = Body("")
    parts = [greeting(unit), f"您发送的邮件《{subject or '（无主题）'}》已收到，共{len(results)}个工作簿，处理结果如下："]
    for i, r in enumerate(results, 1):
        lines = [f"\n\n{ordinal(i)}、{r['name']}"]
        if r.get("internal"):
            lines.append("    系统处理该工作簿时发生内部错误，已记录并通知管理员，将由人工处理，无需重复发送。")
        elif r.get("rejected"):
            body.need_template = True
            lines.append(f"    无法处理：{r['rejected']}")
            lines.append("    随信附上空白模板，请用模板填写后重新发送。")
        else:
            lines += _scored(r, body.files)
        parts.append("\n".join(lines))
    if hints:
        parts.append("\n\n提示：\n" + "\n".join(f"    {h}" for h in hints))
    body.text = "".join(parts) + SIGNATURE
    return body


def _scored(r: dict[str, Any], files: list[tuple[str, bytes | Path]]) -> list[str]:
    lines: list[str] = []
    project = f"项目：{r.get('project') or '（未填写）'}" + (f"（{r['year']}年度）" if r.get("year") else "")
    rate = f"{_dec(r.get('rate'))}%" if r.get("rate") is not None else "—"
    if r.get("annual") is not None:
        money_line = (f"    {project}；全年预算数{money(_dec(r['annual']))}万元，"
                      f"全年执行数{money(_dec(r.get('executed')))}万元，预算执行率{rate}。")
    else:
        money_line = f"    {project}；全年预算数未填写。"
    wb_path = r.get("workbook_path")
    name = r["name"] if r["name"].lower().endswith(WORKBOOK_SUFFIXES) else (Path(wb_path).name if wb_path else "")
    if exit_code(r) == EXIT_OK:
        total = _dec(r["total"])
        lines.append(f"    评分完成：总分{total:.2f}分，评价等级“{r['grade']}”；"
                     f"错误{r['n_errors']}个，警告{r['n_warnings']}个，提示{r['n_infos']}个。")
        lines += [f"    按评分规则扣减：{line}" for line in r.get("adjustments") or []]
        lines.append(money_line)
        attached = []
        if wb_path:
            files.append((name, Path(wb_path)))
            attached.append(f"“{name}”（已评分的工作簿）")
        if r.get("report_path"):
            files.append((Path(r["report_path"]).name, Path(r["report_path"])))
            attached.append(f"“{files[-1][0]}”（自评报告）")
        if attached:
            lines.append(f"    附件：{'、'.join(attached)}。")
        if r.get("report_failure"):
            lines.append("    自评报告未能生成，汇总单位将另行处理，无需重复发送。")
        if r.get("warnings"):
            lines.append("    以下警告不影响评分，建议核对修改：")
            lines += problem_lines(r["warnings"])
    else:
        lines.append(f"    发现{r['n_errors']}个错误、{r['n_warnings']}个警告，总分不完整，暂不能出具评分结果。"
                     "请按以下问题修改后重新发送：")
        lines += problem_lines(r.get("problems", []))
        lines.append(money_line)
        if wb_path:
            files.append((name, Path(wb_path)))
            lines.append(f"    附件“{name}”中已用颜色和批注标出有问题的单元格，“校验结果”工作表列出了全部问题。")
    return lines


def problem_lines(problems: list[str]) -> list[str]:
    lines = [f"      {n}. {p}" for n, p in enumerate(problems[:MAX_PROBLEM_LINES], 1)]
    if len(problems) > MAX_PROBLEM_LINES:
        lines.append(f"      ……另有{len(problems) - MAX_PROBLEM_LINES}项，详见附件工作簿的“校验结果”工作表。")
    return lines
