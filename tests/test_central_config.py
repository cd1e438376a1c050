"""mail.toml and central.toml read their shared parts ([smtp], [store] url) through one reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from xlreport.central.config import SmtpConfig
from xlreport.central.mail.config import MailConfigError, load_config
from xlreport.central.portal.config import PortalConfigError, load_portal_config

MAIL_HEAD = ('[imap]\nhost = "h"\nuser = "u"\npassword_env = "X"\n'
             '[policy]\nsender_check = "from-only"\n')


def _mail(tmp_path: Path, rest: str):
    path = tmp_path / "mail.toml"
    path.write_text(MAIL_HEAD + rest, encoding="utf-8")
    return load_config(path)


def _portal(tmp_path: Path, rest: str):
    path = tmp_path / "central.toml"
    path.write_text(rest, encoding="utf-8")
    return load_portal_config(path)


@pytest.mark.parametrize(("smtp", "message"), [
    ('host = "s"\nfrom = "a@b.cn"\nssl = true\nstarttls = true\n', "ssl 与 starttls 不能同时为 true"),
    ('host = "s"\nfrom = "nobody"\n', "from 应为邮箱地址"),
    ('host = "s"\nfrom = "a@b.cn"\nuser = "u"\n', "设置了 user 但没有 password_env"),
    ('host = "s"\nfrom = "a@b.cn"\nport = "25"\n', "port 应为整数"),
    ('from = "a@b.cn"\n', "[smtp] 缺少 host"),
])
def test_both_files_check_smtp_alike(tmp_path, smtp, message):
    with pytest.raises(MailConfigError, match=message.replace("[", r"\[")) as mail:
        _mail(tmp_path, "[smtp]\n" + smtp)
    with pytest.raises(PortalConfigError, match=message.replace("[", r"\[")) as portal:
        _portal(tmp_path, "[smtp]\n" + smtp)
    assert mail.value.message.startswith("邮件配置文件") and portal.value.message.startswith("平台配置文件")


def test_smtp_defaults_and_ports(tmp_path):
    mail = _mail(tmp_path, '[smtp]\nhost = "s"\nfrom = "a@b.cn"\nssl = false\nstarttls = true\n')
    portal = _portal(tmp_path, '[smtp]\nhost = "s"\nfrom = "a@b.cn"\nssl = false\n')
    assert mail.smtp == SmtpConfig(host="s", port=587, ssl=False, starttls=True, from_="a@b.cn")
    assert portal.smtp == SmtpConfig(host="s", port=25, ssl=False, from_="a@b.cn")
    assert mail.imap.port == 993 and mail.imap.tls_verify and mail.imap.ca_file is None


def test_only_the_mail_file_takes_a_private_ca(tmp_path):
    """The portal sends through the system trust store; a ca_file there would be silently ignored."""
    (tmp_path / "ca.pem").write_text("x", encoding="utf-8")
    mail = _mail(tmp_path, '[smtp]\nhost = "s"\nfrom = "a@b.cn"\nca_file = "ca.pem"\n')
    assert mail.smtp.ca_file == tmp_path / "ca.pem"
    with pytest.raises(PortalConfigError, match="无法识别的设置：ca_file"):
        _portal(tmp_path, '[smtp]\nhost = "s"\nfrom = "a@b.cn"\nca_file = "ca.pem"\n')


@pytest.mark.parametrize("url", ["::::", "postgresql://u@h:notaport/db"])
def test_a_bad_registry_url_is_a_message_not_a_traceback(tmp_path, monkeypatch, url):
    monkeypatch.setenv("XLREPORT_TEST_DB_PASSWORD", "p")
    store = f'[store]\nurl = "{url}"\npassword_env = "XLREPORT_TEST_DB_PASSWORD"\n'
    with pytest.raises(MailConfigError, match="url 无法识别"):
        _mail(tmp_path, '[smtp]\nhost = "s"\nfrom = "a@b.cn"\n' + store)
    with pytest.raises(PortalConfigError, match="url 无法识别"):
        _portal(tmp_path, store)


def test_unreadable_files(tmp_path):
    (tmp_path / "mail.toml").write_bytes(b"\xff\xfe[imap")
    with pytest.raises(MailConfigError, match="无法读取"):
        load_config(tmp_path / "mail.toml")
    (tmp_path / "central.toml").write_text("[portal\n", encoding="utf-8")
    with pytest.raises(PortalConfigError, match="格式错误"):
        load_portal_config(tmp_path / "central.toml")
    with pytest.raises(MailConfigError, match="找不到邮件配置文件"):
        load_config(tmp_path / "none.toml")
