"""Log in, log out, and set the first password from a one-time invite link."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from xlreport.central.portal.auth import (
    check_csrf,
    client_ip,
    current_user,
    hash_password,
    login_session,
    password_problem,
    token_hash,
    too_many_failures,
    verify_password,
)
from xlreport.central.portal.web import redirect, render, state


async def home(request: Request) -> Response:
    user = await run_in_threadpool(current_user, request)
    if user is None:
        return redirect("/login")
    return redirect("/office" if user.is_office else "/unit")


async def login_page(request: Request) -> Response:
    return render(request, "login.html", {"username": ""}, user=None)


async def login(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=10)
    await check_csrf(request, form)
    username = str(form.get("username") or "").strip()[:200]
    password = str(form.get("password") or "")[:1000]
    st = state(request)
    ip = client_ip(request)
    if await run_in_threadpool(too_many_failures, st.store, username, ip):
        return render(request, "login.html", {"username": username,
                                              "error": "登录失败次数过多，为安全起见已暂停登录，请15分钟后再试。"},
                      status_code=429, user=None)
    row = await run_in_threadpool(st.store.account_by_name, username)
    ok, rehash = await run_in_threadpool(verify_password, row["password_hash"] if row else None, password)
    if not ok or row is None or not row["active"]:
        await run_in_threadpool(st.store.note_login, username, ip, False)
        message = "账号或密码不正确。"
        if row is not None and not row["password_hash"]:
            message = "该账号尚未设置密码。请使用主管部门发送的邀请链接设置密码。"
        return render(request, "login.html", {"username": username, "error": message}, status_code=401,
                      user=None)
    await run_in_threadpool(st.store.note_login, username, ip, True)
    await run_in_threadpool(st.store.touch_login, row["id"], rehash)
    if row["role"] == "office":
        await run_in_threadpool(st.store.log, row["username"], "login", None, None, ip)
    login_session(request, row)
    return redirect("/office" if row["role"] == "office" else "/unit")


async def logout(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=5)
    await check_csrf(request, form)
    request.session.clear()
    return redirect("/login")


async def _open_invite(request: Request):
    """(invite, account) for the link's token, or None when it is unknown, used or expired."""
    st = state(request)
    invite = await run_in_threadpool(st.store.open_invite, token_hash(request.path_params["token"]))
    if invite is None:
        return None
    return invite, await run_in_threadpool(st.store.account, invite["account_id"])


def _invalid_invite(request: Request) -> Response:
    return render(request, "invite.html", {"invalid": True}, status_code=404, user=None)


async def invite_page(request: Request) -> Response:
    found = await _open_invite(request)
    if found is None:
        return _invalid_invite(request)
    return render(request, "invite.html", {"account": found[1]}, user=None)


async def invite_set(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=10)
    await check_csrf(request, form)
    st = state(request)
    found = await _open_invite(request)
    if found is None:
        return _invalid_invite(request)
    invite, account = found
    password, confirm = str(form.get("password") or ""), str(form.get("confirm") or "")
    problem = password_problem(password, confirm)
    if problem:
        return render(request, "invite.html", {"account": account, "error": problem}, status_code=400, user=None)
    hashed = await run_in_threadpool(hash_password, password)
    if not await run_in_threadpool(st.store.use_invite, invite["id"], account["id"], hashed):
        return _invalid_invite(request)
    await run_in_threadpool(st.store.log, account["username"], "invite-used", account["unit"], None,
                            request.client.host if request.client else None)
    return render(request, "login.html", {"username": account["username"],
                                          "notice": "密码已设置，请登录。"}, user=None)
