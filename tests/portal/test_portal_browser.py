"""The whole flow in a real browser (Playwright driving Debian's Chromium) against a real server."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path

import openpyxl
import pytest
from portal_fixtures import PASSWORD, SAMPLES, api_upload, login

from xlreport.central.portal.store import Store
from xlreport.pipeline import build_file

pytestmark = pytest.mark.slow  # a real server (and browser): seconds, still in the default run

HAIKOU = next(p for p in SAMPLES if p.name.startswith("海口"))
LINZE = next(p for p in SAMPLES if p.name.startswith("临泽"))
PANZHIHUA = next(p for p in SAMPLES if p.name.startswith("攀枝花"))


def _shot(page, shots: Path, name: str) -> None:
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def _store(portal) -> Store:
    return Store(portal.db_url)


def test_unit_uploads_sees_total_and_downloads_both(portal, context, shots, tmp_path):
    expected = build_file(HAIKOU, write=False)
    first = context.new_page()
    first.goto("/login")
    _shot(first, shots, "login")
    first.close()
    page = login(context, "海口市医疗保障局")
    assert page.url.endswith("/unit")
    _shot(page, shots, "unit_home")
    page.set_input_files("#file-input", str(HAIKOU))
    page.wait_for_selector("[data-testid=total]")
    assert page.inner_text("[data-testid=total]") == f"{expected.total:.2f}"
    assert page.inner_text("[data-testid=grade]") == expected.grade
    problems = page.inner_text("[data-testid=problems]")
    top = expected.problems[0]
    assert top.message in problems and (top.cell or "") in problems
    page.wait_for_selector("[data-testid=history] tbody tr")
    _shot(page, shots, "unit_upload_result")

    with page.expect_download() as dl:
        page.click("[data-testid=dl-workbook]")
    workbook = tmp_path / dl.value.suggested_filename
    dl.value.save_as(workbook)
    assert workbook.suffix == ".xlsx" and "评分" in workbook.name
    rescored = build_file(workbook, write=False)
    assert rescored.total == expected.total  # the written-back workbook scores the same
    with page.expect_download() as dl:
        page.click("[data-testid=dl-report]")
    report = tmp_path / dl.value.suggested_filename
    dl.value.save_as(report)
    assert report.name.endswith("_自评报告.docx")
    with zipfile.ZipFile(report) as zf:
        assert "海口市医疗保障局" in zf.read("word/document.xml").decode("utf-8")

    store = _store(portal)
    rows = store.submissions_of("海口市医疗保障局")
    assert len(rows) == 1 and rows[0]["total"] == expected.total and rows[0]["channel"] == "web"
    assert {p["code"] for p in store.problems_of(rows[0]["id"])} == {p.code for p in expected.problems}
    store.dispose()


def test_office_returns_with_comment_and_unit_sees_it(portal, context, shots):
    unit_page = login(context.browser.new_context(base_url=portal.url), "临泽县医疗保障局")
    response = api_upload(unit_page, LINZE)
    assert response.status == 200
    sid = int(re.search(r'data-submission="(\d+)"', response.text()).group(1))
    unit_page.context.close()

    page = login(context, "admin")
    assert page.url.endswith("/office")
    table = page.locator("[data-testid=status-table]")
    for unit in portal.units:
        assert table.locator(f"tr[data-unit='{unit}']").count() == 1
    row = table.locator("tr[data-unit='临泽县医疗保障局']")
    assert row.locator("[data-testid=status]").inner_text() == "待审核"
    assert table.locator("tr[data-unit='测试单位甲'] [data-testid=status]").inner_text() == "未提交"
    _shot(page, shots, "office_status")

    # Filter by status and search (htmx swaps the table).
    page.select_option("select[name=status]", "未提交")
    page.wait_for_selector("tr[data-unit='临泽县医疗保障局']", state="detached")
    assert page.locator("tr[data-unit='测试单位甲']").count() == 1
    page.select_option("select[name=status]", "")
    page.fill("#q", "临泽")
    page.wait_for_selector("tr[data-unit='测试单位甲']", state="detached")
    assert page.locator("tr[data-unit='临泽县医疗保障局']").count() == 1

    page.click("tr[data-unit='临泽县医疗保障局'] a")
    page.wait_for_selector("[data-testid=unit-status]")
    assert "待审核" in page.inner_text("[data-testid=unit-status]")
    _shot(page, shots, "office_unit_detail")
    page.goto(f"/submissions/{sid}")
    page.click("button[value=returned]")  # returning needs a comment
    assert "退回时请填写退回意见" in page.inner_text("#review")
    assert page.inner_text("[data-testid=review-state]") == "待审核"
    comment = "预算执行率偏差原因分析不够具体，请补充“绩效指标”表第12行的偏差说明后重新提交。"
    page.fill("textarea[name=comment]", comment)
    _shot(page, shots, "office_submission_review")
    page.click("button[value=returned]")
    page.wait_for_selector("[data-testid=review-comment]")
    assert page.inner_text("[data-testid=review-state]") == "已退回"
    assert "已发送至" in page.inner_text("[data-testid=review-comment]")

    # The unit was e-mailed at its roster addresses only.
    notices = [e for e in portal.smtp.snapshot() if "退回" in str(make_header(decode_header(
        message_from_bytes(e.data)["Subject"])))]
    assert notices and set(notices[-1].rcpt_tos) == set(portal.addresses["临泽县医疗保障局"])

    unit = login(context.browser.new_context(base_url=portal.url), "临泽县医疗保障局")
    assert comment in unit.inner_text("[data-testid=returned-notice]")
    _shot(unit, shots, "unit_returned")
    unit.context.close()
    page.goto("/office")
    assert page.inner_text("tr[data-unit='临泽县医疗保障局'] [data-testid=status]") == "已退回"
    page.goto("/office/audit")
    assert "退回" in page.inner_text("[data-testid=audit]") and comment in page.inner_text("[data-testid=audit]")


def test_remind_mails_only_units_not_submitted_or_returned(portal, context):
    # 攀枝花 submits (待审核: must not be reminded); the rest of the state comes from the server itself.
    unit_page = login(context.browser.new_context(base_url=portal.url), "攀枝花市医疗保障事务中心")
    assert api_upload(unit_page, PANZHIHUA).status == 200
    unit_page.context.close()

    page = login(context, "admin")
    statuses: dict[str, str] = {}
    rows = page.locator("[data-testid=status-table] tbody tr")
    for i in range(rows.count()):
        statuses[rows.nth(i).get_attribute("data-unit")] = rows.nth(i).locator("[data-testid=status]").inner_text()
    due = {u for u, s in statuses.items() if s in ("未提交", "已退回")}
    assert "攀枝花市医疗保障事务中心" not in due and "测试单位甲" in due
    before = len(portal.smtp.snapshot())
    page.on("dialog", lambda d: d.accept())
    page.click("[data-testid=remind]")
    page.wait_for_selector("[data-testid=remind-result]")
    assert f"已向{len(due)}个单位发送催报邮件" in page.inner_text("[data-testid=remind-result]")
    sent = portal.smtp.snapshot()[before:]
    assert len(sent) == len(due)  # one envelope per unit
    expected = {a for u in due for a in portal.addresses[u]}
    assert {a for e in sent for a in e.rcpt_tos} == expected
    for e in sent:
        assert e.mail_from == "centre@office.example.cn"
        unit = next(u for u in due if set(e.rcpt_tos) == set(portal.addresses[u]))
        assert unit in message_from_bytes(e.data).get_payload(decode=True).decode("utf-8")

    # Rate limit: a second click within the interval sends nothing.
    page.reload()
    page.click("[data-testid=remind]")
    page.wait_for_selector("[data-testid=remind-result]")
    assert "已向0个单位" in page.inner_text("[data-testid=remind-result]")
    assert len(portal.smtp.snapshot()) == before + len(due)
    page.goto("/office/audit")
    assert "一键催报" in page.inner_text("[data-testid=audit]")


def test_unit_cannot_open_another_units_submission(portal, context):
    owner = login(context.browser.new_context(base_url=portal.url), "吴忠市红寺堡区医疗保障局")
    sample = next(p for p in SAMPLES if p.name.startswith("红寺堡"))
    response = api_upload(owner, sample)
    sid = int(re.search(r'data-submission="(\d+)"', response.text()).group(1))
    assert owner.goto(f"/submissions/{sid}").status == 200
    owner.context.close()

    intruder = login(context, "测试单位甲")
    for path in (f"/submissions/{sid}", f"/submissions/{sid}/download/workbook",
                 f"/submissions/{sid}/download/report", "/office", "/office/summary.xlsx", "/office/units/1"):
        response = intruder.goto(path)
        assert response.status == 404, path
        assert "吴忠" not in intruder.content()
    forged = intruder.evaluate(
        """async (sid) => { const r = await fetch(`/submissions/${sid}/review`, {method: 'POST',
             headers: {'X-CSRF-Token': document.body.dataset.csrf,
                       'Content-Type': 'application/x-www-form-urlencoded'},
             body: 'decision=approved&comment=x&csrf_token=' + document.body.dataset.csrf}); return r.status; }""",
        sid)
    assert forged == 404
    store = _store(portal)
    assert store.submission(sid)["review"] == "pending"
    store.dispose()


def test_forged_form_without_csrf_token_is_refused(portal, context):
    unit_page = login(context.browser.new_context(base_url=portal.url), "测试单位甲")
    sid = int(re.search(r'data-submission="(\d+)"', api_upload(unit_page, HAIKOU, name="甲.xlsx").text()).group(1))
    unit_page.context.close()
    page = login(context, "admin")
    page.goto(f"/submissions/{sid}")
    # A form built in the page, posted without the token (as a forged page would).
    with page.expect_navigation():
        page.evaluate("""(sid) => { const f = document.createElement('form'); f.method = 'post';
        f.action = `/submissions/${sid}/review`;
        for (const [k, v] of [['decision', 'approved'], ['comment', '伪造']]) {
          const i = document.createElement('input'); i.name = k; i.value = v; f.appendChild(i); }
        document.body.appendChild(f); f.submit(); }""", sid)
    assert "安全令牌" in page.content()
    wrong = page.evaluate("""async (sid) => (await fetch(`/submissions/${sid}/review`, {method: 'POST',
        headers: {'X-CSRF-Token': 'not-the-token', 'Content-Type': 'application/x-www-form-urlencoded'},
        body: 'decision=approved&comment=x'})).status""", sid)
    assert wrong == 403
    store = _store(portal)
    assert store.submission(sid)["review"] == "pending" and not store.reviews_of(sid)
    store.dispose()
    # The same for the upload and the remind button.
    status = page.evaluate("""async () => (await fetch('/office/remind', {method: 'POST'})).status""")
    assert status == 403


def test_office_pages_for_an_id_that_is_no_number_or_no_row_are_not_found(portal, context):
    page = login(context, "admin")
    for path in ("/office/units/abc", "/office/units/999999", "/submissions/abc", "/submissions/999999"):
        assert page.goto(path).status == 404, path
    for path in ("/office/units/abc/invite", "/office/units/999999/invite", "/submissions/abc/review"):
        status = page.evaluate("""async (path) => (await fetch(path, {method: 'POST',
            headers: {'X-CSRF-Token': document.body.dataset.csrf,
                      'Content-Type': 'application/x-www-form-urlencoded'},
            body: 'decision=approved&csrf_token=' + document.body.dataset.csrf})).status""", path)
        assert status == 404, path


def test_office_analytics_summary_and_zip(portal, context, shots, tmp_path):
    page = login(context, "admin")
    page.goto("/office/analytics")
    assert page.locator("svg.chart").count() >= 4
    text = page.inner_text("main")
    for label in ("评价等级分布", "一级指标得分率", "最常见的问题", "单位 × 问题代码", "按主管部门"):
        assert label in text
    _shot(page, shots, "office_analytics")
    page.goto("/office")
    with page.expect_download() as dl:
        page.click("[data-testid=summary-link]")
    path = tmp_path / "summary.xlsx"
    dl.value.save_as(path)
    wb = openpyxl.load_workbook(path)
    assert {"汇总", "问题分布", "常见问题", "一级指标得分率", "等级分布", "按主管部门"} <= set(wb.sheetnames)
    units = [r[0] for r in wb["汇总"].iter_rows(min_row=2, values_only=True)]
    assert set(portal.units) <= set(units)
    with page.expect_download() as dl:
        page.click("[data-testid=zip-link]")
    zpath = tmp_path / "all.zip"
    dl.value.save_as(zpath)
    with zipfile.ZipFile(zpath) as zf:
        names = zf.namelist()
    assert any(n.startswith("海口市医疗保障局/") and n.endswith(".xlsx") for n in names)
    assert not any(n.startswith("测试单位乙/") for n in names)


def test_invite_link_sets_the_first_password_once(portal, context):
    from click.testing import CliRunner

    from xlreport.cli.main import main

    result = CliRunner().invoke(main, ["portal", "invite", "--config", str(portal.config), "测试单位乙"])
    assert result.exit_code == 0, result.output
    url = re.search(r"http://\S+/invite/\S+", result.output).group(0)
    page = context.new_page()
    page.goto(url)
    page.fill("input[name=password]", "new-password-9")
    page.fill("input[name=confirm]", "new-password-9")
    page.click("button[type=submit]")
    assert "密码已设置" in page.content()
    assert page.goto(url).status == 404  # one time only
    unit = login(context, "测试单位乙", "new-password-9")
    assert unit.url.endswith("/unit")


def test_login_is_rate_limited(portal, context):
    page = context.new_page()
    for _ in range(5):
        page.goto("/login")
        page.fill("input[name=username]", "锁定测试单位")
        page.fill("input[name=password]", "wrong")
        page.click("button[type=submit]")
        assert "账号或密码不正确" in page.content()
    page = login(context, "锁定测试单位", PASSWORD)
    assert "登录失败次数过多" in page.content() and page.url.endswith("/login")


HOSTILE_MESSAGE = re.compile(r"[\u4e00-\u9fff]")


def test_hostile_uploads_get_the_clis_messages(portal, context, tmp_path, zip_bomb, encrypted_xlsx):
    page = login(context, "测试单位甲")
    legacy = tmp_path / "旧表.xls"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4000)
    text = tmp_path / "通知.xlsx"
    text.write_text("这不是工作簿", encoding="utf-8")
    truncated = tmp_path / "截断.xlsx"
    truncated.write_bytes(HAIKOU.read_bytes()[:5000])
    for path in (text, truncated, encrypted_xlsx, zip_bomb, legacy):
        cli = build_file(path, write=False)
        assert cli.failure is not None
        response = api_upload(page, path)
        assert response.status == 422, (path, response.status)
        body = response.text()
        expected = cli.failure.message.replace(str(path), path.name)
        assert expected in body.replace("&#34;", '"').replace("&#39;", "'"), (expected, body)
    oversize = api_upload(page, HAIKOU, name="大文件.xlsx", data=b"PK" + b"\0" * (2 * 1024 * 1024 + 200_000))
    assert oversize.status == 413 and "超过2MB的上限" in oversize.text()
    # The browser shows the same message in the page.
    page.set_input_files("#file-input", str(text))
    page.wait_for_selector("[data-testid=upload-error]")
    assert "不是Excel工作簿" in page.inner_text("[data-testid=upload-error]")
    assert HOSTILE_MESSAGE.search(page.inner_text("[data-testid=upload-error]"))


@pytest.fixture
def zip_bomb(tmp_path: Path) -> Path:
    """A valid workbook whose sheet inflates to ~200 MB (refused by the guard from the zip directory)."""
    src = tmp_path / "src.xlsx"
    shutil.copy(HAIKOU, src)
    dst = tmp_path / "炸弹.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[:-len(b"</worksheet>")] + b"<!--" + b" " * (200 * 1024 * 1024) + b"--></worksheet>"
            zout.writestr(item.filename, data)
    return dst


@pytest.fixture
def encrypted_xlsx(tmp_path: Path) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    dst = tmp_path / "加密.xlsx"
    with HAIKOU.open("rb") as src, dst.open("wb") as out:
        OOXMLFile(src).encrypt("123456", out)
    return dst


def test_mail_submissions_appear_with_the_web_ones(portal, context):
    """A mail submission in the registry shows up in the unit's detail (both channels), with details."""
    import time as _time

    from sqlalchemy import insert

    from xlreport.central.registry import Registry, submissions, utcnow

    built = portal.folder / "mail-built.xlsx"
    outcome = build_file(LINZE, output=built, report=False)
    registry = Registry(portal.db_url)
    with registry.engine.begin() as conn:
        conn.execute(insert(submissions).values(
            message_key="<m1@units.example.cn>", seq=1, file_name="临泽_邮件.xlsx", unit="临泽县医疗保障局",
            status="已通过", total=outcome.total, grade=outcome.grade, n_errors=0, n_warnings=outcome.n_warnings,
            submitted_at=utcnow(), workbook_path=str(built), sender="u1@units.example.cn"))
    registry.dispose()
    store = _store(portal)
    deadline = _time.monotonic() + 30
    while not [s for s in store.submissions_of("临泽县医疗保障局") if s["channel"] == "mail"]:
        assert _time.monotonic() < deadline, "mail submission not imported"
        _time.sleep(0.3)
    mail_row = next(s for s in store.submissions_of("临泽县医疗保障局") if s["channel"] == "mail")
    assert mail_row["total"] == outcome.total
    assert {p["code"] for p in store.problems_of(mail_row["id"])} == {p.code for p in outcome.problems}
    account = store.account_for_unit("临泽县医疗保障局")
    store.dispose()
    page = login(context, "admin")
    page.goto(f"/office/units/{account['id']}")
    history = page.inner_text("[data-testid=history]")
    assert "邮件报送" in history and "网上报送" in history


def test_workbook_download_is_the_scored_copy(portal, context, tmp_path):
    """The downloaded workbook keeps every cell the unit typed (the tool only writes its own cells)."""
    page = login(context, "海口市医疗保障局")
    store = _store(portal)
    sid = store.submissions_of("海口市医疗保障局")[-1]["id"]
    store.dispose()
    response = page.request.get(f"/submissions/{sid}/download/workbook")
    assert response.status == 200
    wb = openpyxl.load_workbook(io.BytesIO(response.body()))
    original = openpyxl.load_workbook(HAIKOU)
    ws, ws0 = wb["基本信息"], original["基本信息"]
    for row in ws0.iter_rows():
        for cell in row:
            if cell.value is not None:
                assert ws[cell.coordinate].value == cell.value


def test_simultaneous_uploads_are_all_answered_and_recorded_once(portal):
    """20 uploads released together (one unit's session): 20 answers, 20 distinct rows, nothing lost or doubled."""
    import http.cookiejar
    import threading
    import urllib.parse
    import urllib.request
    import uuid

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    token = re.search(r'data-csrf="([^"]+)"', opener.open(portal.url + "/login").read().decode()).group(1)
    page = opener.open(portal.url + "/login", urllib.parse.urlencode(
        {"csrf_token": token, "username": "测试单位甲", "password": PASSWORD}).encode()).read().decode()
    csrf = re.search(r'data-csrf="([^"]+)"', page).group(1)
    store = _store(portal)
    before = len(store.submissions_of("测试单位甲"))
    payload = PANZHIHUA.read_bytes()
    n = 20
    barrier = threading.Barrier(n)
    answers: list[tuple[int, str] | None] = [None] * n

    def upload(i: int) -> None:
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"并发{i}.xlsx\"\r\n"
                "Content-Type: application/octet-stream\r\n\r\n").encode() + payload + \
            f"\r\n--{boundary}--\r\n".encode()
        request = urllib.request.Request(portal.url + "/unit/upload", data=body, headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}", "X-CSRF-Token": csrf,
            "X-Requested-With": "XMLHttpRequest"})
        barrier.wait()
        with opener.open(request, timeout=300) as r:
            answers[i] = (r.status, r.read().decode())

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(a is not None and a[0] == 200 and 'data-testid="total"' in a[1] for a in answers)
    ids = [int(re.search(r'data-submission="(\d+)"', a[1]).group(1)) for a in answers if a]
    rows = store.submissions_of("测试单位甲")
    store.dispose()
    assert len(set(ids)) == n and len(rows) == before + n
    assert sorted(r["file_name"] for r in rows if r["id"] in ids) == sorted(f"并发{i}.xlsx" for i in range(n))


def test_drag_and_drop_upload(portal, context):
    """A file dropped on the zone is uploaded (XHR with progress) and its result shown."""
    import base64

    page = login(context, "测试单位甲")
    expected = build_file(PANZHIHUA, write=False)
    data = base64.b64encode(PANZHIHUA.read_bytes()).decode()
    page.evaluate("""([name, data]) => {
        const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], name, {type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'}));
        const zone = document.getElementById('drop');
        zone.dispatchEvent(new DragEvent('dragenter', {dataTransfer: dt, bubbles: true}));
        zone.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true}));
    }""", ["拖放.xlsx", data])
    page.wait_for_selector("[data-testid=total]")
    assert page.inner_text("[data-testid=total]") == f"{expected.total:.2f}"
    assert page.locator("#progress").is_hidden()
    page.wait_for_selector("[data-testid=history] >> text=拖放.xlsx")


@pytest.mark.parametrize("content_type, body", [
    ("multipart/form-data", b"garbage"),
    ("multipart/form-data; boundary=xx", b"garbage"),
    ("multipart/form-data; boundary=xx",
     b'--xx\r\nContent-Disposition: form-data; name="file"; filename="a.xlsx"\r\n\r\nabc'),  # cut short
    ("multipart/form-data; boundary=xx", b"".join(
        f'--xx\r\nContent-Disposition: form-data; name="file"; filename="{i}.xlsx"\r\n\r\nabc\r\n'.encode()
        for i in range(3)) + b"--xx--\r\n"),  # more than one file
    ("multipart/form-data; boundary=xx",
     b'--xx\r\nContent-Disposition: form-data; name="note"\r\n\r\n' + b"a" * 200_000 + b"\r\n--xx--\r\n"),
    ("application/x-www-form-urlencoded", b"file=abc"),
    ("text/plain", b""),
])
def test_malformed_upload_bodies_get_a_message_not_a_500(portal, context, content_type, body):
    page = login(context, "测试单位甲")
    csrf = page.get_attribute("body", "data-csrf")
    response = page.request.post("/unit/upload", data=body, headers={
        "Content-Type": content_type, "X-CSRF-Token": csrf, "X-Requested-With": "XMLHttpRequest"})
    assert response.status == 400
    assert "上传" in response.text() or "请选择" in response.text()
