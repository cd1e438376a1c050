"""The words of the mail processor's replies and the portal's mails come from the wording layer's
templates (回复_*.j2, 平台通知.j2), which an office overrides from its own folder; a broken override
never stops a reply.

All but the last test render on in-memory results (milliseconds). The last one runs the processor
against the session's real servers (pymap, aiosmtpd) with an office folder in mail.toml.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from mail_fixtures import (
    UNIT_A,
    UNIT_A_MAIL,
    UNIT_B_MAIL,
    good_workbook,
    unit_message,
    write_config,
)

from xlreport.central.mail.replies import Notice, no_workbook, notice, results_body
from xlreport.central.portal.notify import reminder_notice, review_notice
from xlreport.wording.mail import NotCopied, broken_overrides

UNIT = "红寺堡区医疗保障局"
SCORED = {"name": "红寺堡自评.xlsx", "exit_code": 0, "project": "城乡居民医保补助资金", "year": "2022",
          "annual": "12345.675", "executed": "12000", "rate": "97.2", "total": "96.505", "grade": "优",
          "n_errors": 0, "n_warnings": 1, "n_infos": 2, "warnings": ["[警告] 绩效指标 F12：偏差原因未填写。"],
          "adjustments": ["执行率76.20%，按评分规则总分不超过89分，扣减8.62分。"],
          "workbook_path": "/work/01/结果/红寺堡自评.xlsx", "report_path": "/work/01/结果/红寺堡自评_自评报告.docx"}
ERRORS = {"name": "未填完.xlsx", "exit_code": 1, "project": None, "n_errors": 25, "n_warnings": 1,
          "problems": [f"[错误] 绩效指标 E{i}：实际完成值未填写。" for i in range(1, 27)],
          "workbook_path": "/work/02/结果/未填完.xlsx"}
REJECTED = {"name": "自评表.xls", "rejected": "“自评表.xls”是旧版Excel文件，请另存为 .xlsx 后重新发送。"}
INTERNAL = {"name": "出错.xlsx", "internal": "RuntimeError: 模拟"}
SIGNATURE = "本邮件由绩效自评汇总系统自动发送。"


def _office(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "模板"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


# Each reply, from in-memory results -----------------------------------------------------------
def test_results_reply_gives_each_workbook_its_figures_and_files():
    body = results_body(UNIT, "关于报送绩效自评表的函", [SCORED, ERRORS, REJECTED, INTERNAL],
                        [NotCopied("红寺堡自评.xlsx", "other@example.cn")])
    text = body.text
    assert text.startswith(f"{UNIT}：\n\n您好！贵单位发送的邮件《关于报送绩效自评表的函》已收到，共4份工作簿，处理结果如下：\n\n一、红寺堡自评.xlsx\n")
    # numbers: half-up to two places, amounts with thousands separators, each formatted once
    assert "    评分完成：总分96.51分，评价等级“优”；错误0个，警告1个，提示2个。\n" in text
    assert "    预算执行：全年预算数12,345.68万元，全年执行数12,000.00万元，预算执行率97.20%。\n" in text
    assert "    按评分规则扣减：执行率76.20%，按评分规则总分不超过89分，扣减8.62分。\n" in text
    assert "    项目：2022年度城乡居民医保补助资金\n" in text
    assert "    附件：“红寺堡自评.xlsx”（已评分的工作簿）、“红寺堡自评_自评报告.docx”（自评报告）。\n" in text
    assert "    以下警告不影响评分，建议核对修改：\n      1. [警告] 绩效指标 F12：偏差原因未填写。\n\n二、未填完.xlsx\n" in text
    # errors: twenty listed, the rest counted
    assert "    发现25个错误、1个警告，暂不能出具评分结果。请按以下问题逐项修改后重新发送：\n" in text
    assert "      20. [错误] 绩效指标 E20：实际完成值未填写。\n      ……另有6项，详见附件工作簿的“校验结果”工作表。\n" in text
    assert "E21" not in text and "    项目：（项目名称未填写）\n    预算执行：全年预算数未填写。\n" in text
    assert "    附件“未填完.xlsx”中已用颜色和批注标出有问题的单元格" in text
    assert "三、自评表.xls\n    无法处理：“自评表.xls”是旧版Excel文件，请另存为 .xlsx 后重新发送。\n    随信附上空白模板" in text
    assert "四、出错.xlsx\n    系统处理该工作簿时发生内部错误，已登记，将由汇总单位人工处理后另行答复，无需重复发送。\n" in text
    assert "提示：\n    工作簿“红寺堡自评.xlsx”中填写的电子邮箱“other@example.cn”不在贵单位登记的邮箱名单中，未抄送。" in text
    assert text.endswith(f"\n\n——\n{SIGNATURE}如需修改后重新报送，请直接回复本邮件并附上修改后的工作簿；如有疑问，请与汇总单位联系。")
    assert "\n\n\n" not in text and "None" not in text and not any(line != line.rstrip() for line in text.split("\n"))
    assert [name for name, _ in body.files] == ["红寺堡自评.xlsx", "红寺堡自评_自评报告.docx", "未填完.xlsx"]
    assert body.need_template and body.template_error is None


def test_one_workbook_is_not_numbered_and_a_missing_subject_is_not_shown():
    text = results_body(UNIT, "", [dict(SCORED, warnings=[], report_failure="LibreOffice 未安装")], []).text
    assert "您好！贵单位发送的邮件已收到，处理结果如下：\n\n工作簿：红寺堡自评.xlsx\n" in text
    assert "一、" not in text and "（无主题）" not in text and "以下警告" not in text and "提示：" not in text


def test_no_workbook_reply_says_how_to_fill_in_the_blank_template():
    text = no_workbook(UNIT, "自评表", ["说明.pdf", "照片.jpg"], "绩效自评模板_项目支出.xlsx").text
    assert ("贵单位发送的邮件《自评表》中没有找到绩效自评工作簿（.xlsx文件），所附的“说明.pdf”“照片.jpg”不是Excel工作簿。"
            "现随信附上空白模板，请按以下步骤填写后报送：\n1. 用Excel打开附件“绩效自评模板_项目支出.xlsx”") in text
    assert "\n2. 将填好的工作簿（.xlsx）作为附件发送至本邮箱" in text


NOTICE_WORDS = {
    Notice.UNPARSEABLE: "贵单位发送的邮件《报送材料》格式异常，系统无法读取，未予处理。",
    Notice.TOO_LARGE: "贵单位发送的邮件《报送材料》大小为31.2MB，超过本邮箱的接收上限，未予处理。",
    Notice.UNVERIFIED: "本邮箱收到一封以贵单位邮箱名义发送的邮件，但未能确认发件人（31.2MB），已按规定隔离",
    Notice.FAILED: "贵单位发送的邮件《报送材料》已收到，但系统多次处理均未完成，已登记，将由汇总单位人工处理后另行答复",
    Notice.BUILD_BROKEN: "贵单位发送的邮件《报送材料》已收到，处理结果已登记，但回复内容未能生成。",
}


@pytest.mark.parametrize("kind", list(Notice))
def test_each_notice_names_the_unit_and_only_invites_a_reply_when_one_helps(kind):
    text = notice(kind, UNIT, "报送材料", "31.2MB").text
    assert text.startswith(f"{UNIT}：\n\n您好！") and NOTICE_WORDS[kind] in text
    resubmit = kind in (Notice.UNPARSEABLE, Notice.TOO_LARGE)
    assert ("请直接回复本邮件" in text) is resubmit
    if kind is Notice.UNVERIFIED:
        assert "报送材料" not in text  # a forged message's subject is never relayed


def test_portal_mails_have_a_subject_line_and_the_reviewers_words():
    remind = reminder_notice("绩效自评报送平台", "海口市医疗保障局", "未提交", "https://jx.example.cn")
    assert remind.subject == "【催报】请尽快提交绩效自评材料（海口市医疗保障局）"
    assert remind.body.startswith("海口市医疗保障局：\n\n截至目前，贵单位尚未提交绩效自评工作簿，请尽快提交。\n\n")
    assert "登录绩效自评报送平台（https://jx.example.cn）" in remind.body and remind.body.endswith("请勿直接回复。）\n")
    again = reminder_notice("绩效自评报送平台", "海口市医疗保障局", "已退回", "https://jx.example.cn")
    assert "已被退回，目前尚未重新提交，请按审核意见修改后尽快提交。" in again.body
    back = review_notice("平台", "海口市医疗保障局", "returned", "偏差原因未填写。", "海口.xlsx", "https://x/s/3")
    assert back.subject == "【退回】绩效自评材料需修改后重新提交（海口市医疗保障局）"
    assert "贵单位提交的“海口.xlsx”已被退回" in back.body and "审核意见：偏差原因未填写。\n\n详情请登录平台查看：https://x/s/3" in back.body
    ok = review_notice("平台", "海口市医疗保障局", "approved", "", "海口.xlsx", "https://x/s/3")
    assert ok.subject.startswith("【审核通过】") and "审核意见" not in ok.body


# An office's own wording ------------------------------------------------------------------------
OFFICE_SIGNATURE = """{% macro greeting(unit) %}{{ unit }}：

{% endmacro %}
{% macro letter(subject) %}来函{% endmacro %}
{% macro signature(resubmit=true) %}

市财政局预算绩效管理科（联系电话：0951-1234567）
{%- endmacro %}
"""


def test_an_office_folder_changes_every_reply(tmp_path):
    office = _office(tmp_path, {"_回复.j2": OFFICE_SIGNATURE,
                                "平台通知.j2": "请提交（{{ unit }}）\n\n{{ unit }}：请于本周内提交。\n"})
    for body in (results_body(UNIT, "报送", [SCORED], [], office), no_workbook(UNIT, "报送", [], "模板.xlsx", office),
                 notice(Notice.FAILED, UNIT, "报送", templates=office)):
        assert body.template_error is None
        assert body.text.startswith(f"{UNIT}：\n\n贵单位发送的来函") and SIGNATURE not in body.text
        assert body.text.endswith("市财政局预算绩效管理科（联系电话：0951-1234567）")
    mail = reminder_notice("平台", "海口市医疗保障局", "未提交", "https://x", office)
    assert (mail.subject, mail.body) == ("请提交（海口市医疗保障局）", "海口市医疗保障局：请于本周内提交。\n")


BROKEN = {
    "syntax": ("回复_结果.j2", "{{ greeting(unit) }\n{% if %}", "“回复_结果.j2”第1行"),
    "unknown variable": ("回复_结果.j2", "{{ unit }}：\n联系人：{{ contact }}\n", "“回复_结果.j2”第2行"),
    "broken shared file": ("_回复.j2", "{% macro greeting(unit) %}{{ unit.phone }}{% endmacro %}", "“_回复.j2”第1行"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_override_gives_the_default_reply_and_says_where(tmp_path, case):
    name, text, where = BROKEN[case]
    office = _office(tmp_path, {name: text})
    body = results_body(UNIT, "报送", [SCORED], [], office)
    assert body.text == results_body(UNIT, "报送", [SCORED], []).text  # the package's own words
    assert body.template_error is not None and where in body.template_error, body.template_error
    assert [n for n, _ in body.files] == ["红寺堡自评.xlsx", "红寺堡自评_自评报告.docx"]


def test_the_build_broken_notice_holds_when_the_office_notices_are_broken(tmp_path):
    office = _office(tmp_path, {"回复_通知.j2": "{% if kind == %}", "平台通知.j2": "只有一行"})
    body = notice(Notice.BUILD_BROKEN, UNIT, "报送", templates=office)
    assert "回复内容未能生成" in body.text and "“回复_通知.j2”第1行" in body.template_error
    (problem,) = broken_overrides(office)  # the syntax error is found at start; 平台通知.j2 compiles
    assert problem.startswith("文字模板“回复_通知.j2”有误")
    mail = review_notice("平台", "海口市医疗保障局", "approved", "", "海口.xlsx", "https://x", office)
    assert mail.subject.startswith("【审核通过】")  # the office's one-line file has no body: default used


def test_templates_folder_in_the_configs_is_relative_and_must_exist(tmp_path):
    from mail_fixtures import ImapServer

    from xlreport.central.mail.config import MailConfigError, load_config
    from xlreport.central.portal.config import PortalConfigError, load_portal_config

    office = _office(tmp_path, {})
    config = write_config(tmp_path, ImapServer("127.0.0.1", 1), "INBOX", 2, roster=None,
                          extra_policy='templates = "模板"')
    assert load_config(config).policy.templates == office
    config.write_text(config.read_text(encoding="utf-8").replace('"模板"', '"没有"'), encoding="utf-8")
    with pytest.raises(MailConfigError, match="templates 指定的模板文件夹"):
        load_config(config)
    portal = tmp_path / "central.toml"
    portal.write_text('[portal]\ntemplates = "模板"\n', encoding="utf-8")
    assert load_portal_config(portal).templates == office
    portal.write_text('[portal]\ntemplates = "没有"\n', encoding="utf-8")
    with pytest.raises(PortalConfigError, match="templates 指定的模板文件夹"):
        load_portal_config(portal)


# End to end ------------------------------------------------------------------------------------
def test_the_processor_replies_in_the_office_wording_and_survives_its_broken_notice(
        tmp_path, mailbox, smtp_server, roster, caplog):
    """mail.toml's templates folder: the results reply ends with the office's signature; its notice
    template names an unknown variable, so the refused sender gets the default notice and the
    registry records why."""
    from xlreport.central.mail.config import load_config
    from xlreport.central.mail.processor import Processor

    _office(tmp_path, {"_回复.j2": OFFICE_SIGNATURE, "回复_通知.j2": "{{ greeting(unit) }}{{ 联系人 }}"})
    config = write_config(tmp_path, mailbox.server, mailbox.folder, smtp_server.port, roster=roster,
                          extra_policy='templates = "模板"')
    mailbox.deliver(unit_message(UNIT_A_MAIL, "报送绩效自评表", [good_workbook()]))
    mailbox.deliver(unit_message(UNIT_B_MAIL, "冒名来信", [good_workbook()], auth=None))
    processor = Processor(load_config(config))
    with caplog.at_level(logging.ERROR, logger="xlreport.central.mail"):
        assert processor.run(once=True) == 0

    (reply,) = smtp_server.to(UNIT_A_MAIL)
    text = reply.message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text.startswith(f"{UNIT_A}：\n\n贵单位发送的来函已收到") and "总分100.00分" in text
    assert text.rstrip().endswith("市财政局预算绩效管理科（联系电话：0951-1234567）") and SIGNATURE not in text
    assert {p.get_filename() for p in reply.message.iter_attachments()} >= {"红寺堡区2022年城乡居民医保补助资金绩效自评.xlsx"}

    (refused,) = smtp_server.to(UNIT_B_MAIL)
    text = refused.message.get_body(("plain",)).get_content()
    assert "未能确认发件人" in text and SIGNATURE in text and "总分" not in text
    (row,) = processor.registry.messages_with_status("quarantined")
    assert "回复改用默认模板" in row["reason"] and "回复_通知.j2" in row["reason"]
    assert "回复改用默认模板" in caplog.text
    processor.registry.dispose()
