"""Browser sign-in: an HttpOnly, SameSite=Strict cookie whose unsafe requests need the CSRF
token; one generic 401 for every failed login, after the same work."""

import statistics
import time

import httpx

from tests.support.accounts import Account, create_account
from tests.support.reports import report_body


async def _login(anonymous: httpx.AsyncClient, account: Account) -> httpx.Response:
    anonymous.cookies.clear()
    response = await anonymous.post(
        "/api/auth/login", json={"email": account.email.upper(), "password": account.password}
    )
    assert response.status_code == 200, response.text
    return response


async def test_login_sets_a_strict_http_only_cookie_and_answers_the_user_and_a_csrf_token(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    editor = await create_account(client, "editor")
    response = await _login(anonymous, editor)
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "secure" not in cookie  # PUBLIC_BASE_URL is http:// in the tests
    assert response.json()["user"]["email"] == editor.email
    assert len(response.json()["csrf_token"]) >= 32
    me = await anonymous.get("/api/me")
    assert me.json()["id"] == editor.id


async def test_an_unsafe_request_of_a_session_needs_its_csrf_token(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    editor = await create_account(client, "editor")
    csrf = (await _login(anonymous, editor)).json()["csrf_token"]
    without = await anonymous.post("/api/reports", json=report_body())
    wrong = await anonymous.post("/api/reports", json=report_body(), headers={"X-CSRF-Token": "x"})
    right = await anonymous.post("/api/reports", json=report_body(), headers={"X-CSRF-Token": csrf})
    assert (without.status_code, wrong.status_code, right.status_code) == (403, 403, 201)


async def test_logout_ends_the_session(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    viewer = await create_account(client, "viewer")
    csrf = (await _login(anonymous, viewer)).json()["csrf_token"]
    cookie = dict(anonymous.cookies)
    response = await anonymous.post("/api/auth/logout", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 204
    anonymous.cookies.update(cookie)  # a copy of the cookie kept by an attacker
    assert (await anonymous.get("/api/me")).status_code == 401
    anonymous.cookies.clear()


async def test_failed_logins_answer_alike_whether_or_not_the_account_exists(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    viewer = await create_account(client, "viewer")
    anonymous.cookies.clear()

    async def attempt(email: str) -> tuple[httpx.Response, float]:
        started = time.perf_counter()
        response = await anonymous.post(
            "/api/auth/login", json={"email": email, "password": "not the password"}
        )
        return response, time.perf_counter() - started

    known = [await attempt(viewer.email) for _ in range(5)]
    unknown = [await attempt("nobody-here@example.com") for _ in range(5)]
    answers = {(r.status_code, r.text) for r, _ in known + unknown}
    assert len(answers) == 1
    assert answers.pop()[0] == 401
    known_time = statistics.median(t for _, t in known)
    unknown_time = statistics.median(t for _, t in unknown)
    # Both verify one argon2 hash; without that, the unknown e-mail would answer ~100x faster.
    assert 0.25 < unknown_time / known_time < 4


async def test_a_deactivated_account_cannot_sign_in_and_its_tokens_stop_working(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    editor = await create_account(client, "editor")
    assert (await anonymous.get("/api/me", headers=editor.headers)).status_code == 200
    response = await client.patch(f"/api/users/{editor.id}", json={"is_active": False})
    assert response.status_code == 200, response.text
    assert (await anonymous.get("/api/me", headers=editor.headers)).status_code == 401
    login = await anonymous.post(
        "/api/auth/login", json={"email": editor.email, "password": editor.password}
    )
    assert login.status_code == 401


async def test_a_new_password_ends_the_account_s_browser_sessions(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    editor = await create_account(client, "editor")
    await _login(anonymous, editor)
    assert (await anonymous.get("/api/me")).status_code == 200
    changed = await client.patch(f"/api/users/{editor.id}", json={"password": "fresh-password-77"})
    assert changed.status_code == 200
    assert (await anonymous.get("/api/me")).status_code == 401
    assert (await anonymous.get("/api/me", headers=editor.headers)).status_code == 200
