"""IMAP TLS is verified (ssl and starttls): a server with a wrong certificate never receives LOGIN;
a private CA given as ``ca_file`` works against a real pymap with STARTTLS."""

from __future__ import annotations

import datetime as dt
import ipaddress
import shutil
import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from mail_fixtures import (
    IMAP_PASSWORD,
    IMAP_USER,
    UNIT_C_MAIL,
    ImapServer,
    free_port,
    unit_message,
    wait_port,
    write_config,
)


def _cert(path: Path, name: str, *, issuer=None, ip: str | None = None, ca: bool = False):
    pytest.importorskip("cryptography")  # installed with the dev group (msoffcrypto-tool needs it)
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer_name, issuer_key = (issuer[0].subject, issuer[1]) if issuer else (subject, key)
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
               .not_valid_after(now + dt.timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        sans = [x509.DNSName(name)] + ([x509.IPAddress(ipaddress.ip_address(ip))] if ip else [])
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    cert = builder.sign(issuer_key, hashes.SHA256())
    (path / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (path / f"{name}.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    return cert, key


class Recorder:
    """A TLS (or STARTTLS) IMAP impostor: records every byte a client sends, answers LOGIN with NO."""

    def __init__(self, certfile: Path, keyfile: Path, starttls: bool) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(certfile, keyfile)
        self.starttls = starttls
        self.received = bytearray()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _lines(self, conn):
        buf = b""
        while True:
            data = conn.recv(4096)
            if not data:
                return
            self.received += data
            buf += data
            while b"\r\n" in buf:
                line, buf = buf.split(b"\r\n", 1)
                yield line

    def _serve(self) -> None:
        self.sock.settimeout(30)
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            try:
                self._session(conn)
            except (OSError, ssl.SSLError):
                pass
            finally:
                conn.close()

    def _session(self, conn) -> None:
        conn.settimeout(10)
        if self.starttls:
            conn.sendall(b"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n")
            for line in self._lines(conn):
                tag, _, command = line.partition(b" ")
                if command.upper().startswith(b"CAPABILITY"):
                    conn.sendall(b"* CAPABILITY IMAP4rev1 STARTTLS\r\n" + tag + b" OK done\r\n")
                elif command.upper().startswith(b"STARTTLS"):
                    conn.sendall(tag + b" OK begin TLS\r\n")
                    break
                else:
                    conn.sendall(tag + b" NO\r\n")
        tls = self.context.wrap_socket(conn, server_side=True)
        if not self.starttls:
            tls.sendall(b"* OK [CAPABILITY IMAP4rev1] ready\r\n")
        for line in self._lines(tls):
            tag, _, command = line.partition(b" ")
            if command.upper().startswith(b"CAPABILITY"):
                tls.sendall(b"* CAPABILITY IMAP4rev1\r\n" + tag + b" OK done\r\n")
            else:
                tls.sendall(tag + b" NO go away\r\n")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    path = tmp_path_factory.mktemp("certs")
    ca = _cert(path, "xlreport-test-ca", ca=True)
    _cert(path, "localhost", issuer=ca, ip="127.0.0.1")  # valid for 127.0.0.1, from our private CA
    _cert(path, "imap.other.example")  # self-signed, for another host
    return path


def _config(tmp_path, port: int, *, ssl_on: bool, starttls: bool, extra_imap: str = ""):
    config = write_config(tmp_path, ImapServer("127.0.0.1", port), "INBOX", free_port(), roster=None,
                          sender_check="from-only", extra_imap=extra_imap)
    text = config.read_text(encoding="utf-8")
    text = text.replace("[imap]\n", "[imap]\n" + f"starttls = {str(starttls).lower()}\n", 1)
    text = text.replace("ssl = false", f"ssl = {str(ssl_on).lower()}", 1)
    text = text.replace("retries = 1", "retries = 0")
    config.write_text(text, encoding="utf-8")
    return config


@pytest.mark.parametrize("mode", ["ssl", "starttls"])
@pytest.mark.parametrize("cert", ["imap.other.example", "localhost"])
def test_wrong_certificate_never_sees_login(tmp_path, certs, mode, cert):
    """Self-signed for another host, or signed by a CA the client was not told about: no LOGIN."""
    from xlreport.central.mail.config import load_config
    from xlreport.central.mail.processor import Processor

    server = Recorder(certs / f"{cert}.pem", certs / f"{cert}.key", starttls=mode == "starttls")
    try:
        config = _config(tmp_path, server.port, ssl_on=mode == "ssl", starttls=mode == "starttls")
        stats = Processor(load_config(config)).run_pass()
        assert stats.outage and "CERTIFICATE_VERIFY_FAILED" in stats.outage
        assert b"LOGIN" not in bytes(server.received).upper()
        # Positive control: with verification explicitly off, the same impostor does get the LOGIN.
        config = _config(tmp_path, server.port, ssl_on=mode == "ssl", starttls=mode == "starttls",
                         extra_imap="tls_verify = false")
        Processor(load_config(config)).run_pass()
        assert b"LOGIN" in bytes(server.received).upper()
    finally:
        server.close()


def test_starttls_with_private_ca_against_real_pymap(tmp_path, certs, smtp_server, roster):
    from imap_tools import MailBoxStartTls

    from xlreport.central.mail.config import load_config
    from xlreport.central.mail.processor import Processor

    exe = shutil.which("pymap", path=str(Path(sys.executable).parent)) or shutil.which("pymap")
    if exe is None:
        pytest.skip("pymap is not installed")
    port = free_port()
    proc = subprocess.Popen([exe, "--host", "127.0.0.1", "--port", str(port), "--cert", str(certs / "localhost.pem"),
                             "--key", str(certs / "localhost.key"), "dict"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, proc=proc)
        context = ssl.create_default_context(cafile=str(certs / "xlreport-test-ca.pem"))
        with MailBoxStartTls("127.0.0.1", port, ssl_context=context).login(IMAP_USER, IMAP_PASSWORD) as box:
            box.append(bytes(unit_message(UNIT_C_MAIL, "经STARTTLS收取")), "INBOX", flag_set=[])
        config = write_config(tmp_path, ImapServer("127.0.0.1", port), "INBOX", smtp_server.port, roster=roster,
                              extra_imap=f'starttls = true\nca_file = "{certs / "xlreport-test-ca.pem"}"')
        assert Processor(load_config(config)).run(once=True) == 0
        assert [c.message["Subject"] for c in smtp_server.to(UNIT_C_MAIL)] == ["Re: 经STARTTLS收取"]
    finally:
        proc.terminate()
        proc.wait(10)


def test_smtp_starttls_with_a_wrong_certificate_sends_nothing(tmp_path, certs, mailbox, roster):
    """SMTP goes through the same verified context: an impostor relay never gets MAIL FROM or the reply."""
    from aiosmtpd.controller import Controller

    from xlreport.central.mail.config import load_config
    from xlreport.central.mail.processor import Processor

    seen: list[str] = []

    class Recording:
        async def handle_MAIL(self, server, session, envelope, address, options):
            seen.append(address)
            envelope.mail_from = address
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            seen.append("DATA")
            return "250 OK"

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs / "imap.other.example.pem", certs / "imap.other.example.key")
    port = free_port()
    controller = Controller(Recording(), hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True)
    controller.start()
    try:
        mailbox.deliver(unit_message(UNIT_C_MAIL, "经冒充的中继发信"))
        config = write_config(tmp_path, mailbox.server, mailbox.folder, port, roster=roster)
        text = config.read_text(encoding="utf-8").replace("starttls = false", "starttls = true")
        config.write_text(text, encoding="utf-8")
        assert Processor(load_config(config)).run(once=True) == 1  # an outage: the message waits
        assert seen == []
    finally:
        controller.stop()
