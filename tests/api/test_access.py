"""Who may use the service, and the headers every response carries."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from claims_recon.access import SESSION_COOKIE, Sessions, new_token, parse_tokens, token_hash
from claims_recon.api.app import create_app
from claims_recon.config import Settings
from tests.conftest import SEED_CLAIMS, SEED_INVOICES

TOKEN = "crt_test-token-for-alice-0123456789abcdef"
SECRET = "session-secret-for-tests"


def _settings(tmp_path: Path, **extra) -> Settings:
    return Settings(database_url=str(tmp_path / "s.duckdb"), upload_dir=tmp_path / "u", **extra)


@pytest.fixture
def secured(tmp_path):
    settings = _settings(tmp_path, api_tokens=f"alice:{token_hash(TOKEN)}", session_secret=SECRET)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


def _files():
    return {
        "claims": ("claims.csv", SEED_CLAIMS.encode(), "text/csv"),
        "invoices": ("invoices.csv", SEED_INVOICES.encode(), "text/csv"),
    }


def test_without_tokens_remote_clients_are_refused(tmp_path):
    app = create_app(_settings(tmp_path))
    with TestClient(app, client=("203.0.113.9", 40000)) as remote:
        response = remote.get("/api/runs")
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "remote_refused"
        assert remote.get("/health").json() == {"status": "ok"}
    with TestClient(app, client=("127.0.0.1", 40000)) as local:
        assert local.get("/api/runs").status_code == 200


def test_remote_without_tokens_needs_an_explicit_opt_out(tmp_path):
    app = create_app(_settings(tmp_path, allow_remote_without_auth=True))
    with TestClient(app, client=("203.0.113.9", 40000)) as remote:
        assert remote.get("/api/runs").status_code == 200


def test_api_requires_a_bearer_token(secured):
    response = secured.get("/api/runs")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "unauthorized"
    wrong = secured.get("/api/runs", headers={"Authorization": "Bearer crt_nope"})
    assert wrong.status_code == 401
    right = secured.get("/api/runs", headers={"Authorization": f"Bearer {TOKEN}"})
    assert right.status_code == 200
    assert secured.get("/health").status_code == 200


def test_uploads_and_deletes_with_a_token(secured):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert secured.post("/api/upload", files=_files()).status_code == 401
    created = secured.post("/api/upload", files=_files(), headers=auth)
    assert created.status_code == 201
    assert secured.delete("/api/runs/1").status_code == 401
    assert secured.delete("/api/runs/1", headers=auth).status_code == 204


def test_pages_redirect_to_login(secured):
    response = secured.get("/runs?x=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/runs%3Fx%3D1"


def test_session_cookie_is_renewed_and_csrf_is_enforced(secured):
    sessions = Sessions(SECRET, 30 * 60)
    cookie = sessions.issue("alice", "sid-1")
    secured.cookies.set(SESSION_COOKIE, cookie)
    page = secured.get("/api/runs")
    assert page.status_code == 200
    renewed = page.headers["set-cookie"]
    assert renewed.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in renewed and "SameSite=Strict" in renewed

    assert secured.post("/api/upload", files=_files()).status_code == 403
    with_csrf = secured.post(
        "/api/upload", files=_files(), headers={"X-CSRF-Token": sessions.csrf_token("sid-1")}
    )
    assert with_csrf.status_code == 201


def test_idle_sessions_expire(secured, monkeypatch):
    cookie = Sessions(SECRET, 30 * 60).issue("alice")
    later = time.time() + 31 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    secured.cookies.set(SESSION_COOKIE, cookie)
    assert secured.get("/api/runs").status_code == 401


def test_forged_cookie_is_rejected(secured):
    forged = Sessions("another-secret", 1800).issue("alice")
    secured.cookies.set(SESSION_COOKIE, forged)
    assert secured.get("/api/runs").status_code == 401


def test_token_config_is_validated():
    assert parse_tokens(f"a:{token_hash('x')}, b:sha256:{token_hash('y')}")[1].name == "b"
    with pytest.raises(ValueError, match="entry 2"):
        parse_tokens(f"a:{token_hash('x')},b:not-a-hash")
    assert new_token().startswith("crt_") and new_token() != new_token()


def test_security_headers_everywhere(client):
    for path in ("/api/runs", "/health", "/api/runs/999", "/"):
        headers = client.get(path).headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "script-src 'self'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["cache-control"] == "no-store"


def test_cors_is_off_by_default_and_explicit_when_on(tmp_path, client):
    plain = client.get("/api/runs", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in plain.headers
    app = create_app(_settings(tmp_path, cors_origins="https://billing.example"))
    with TestClient(app) as allowed:
        ok = allowed.get("/api/runs", headers={"Origin": "https://billing.example"})
        assert ok.headers["access-control-allow-origin"] == "https://billing.example"
        other = allowed.get("/api/runs", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
    with pytest.raises(ValidationError, match="explicitly"):
        Settings(cors_origins="*")


def test_interactive_docs_are_served_offline_under_the_csp(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert "<script>" not in page.text  # no inline script
    assert 'src="/docs/assets/swagger-ui-bundle.js"' in page.text
    bundle = client.get("/docs/assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.content) > 100_000
    assert "SwaggerUIBundle" in client.get("/docs/assets/init.js").text


def test_other_sites_cannot_change_anything(client):
    files = _files()
    cross = client.post("/api/upload", files=files, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    assert cross.json()["error"]["code"] == "cross_site"
    foreign = client.post("/api/upload", files=files, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    own = client.post("/api/upload", files=files, headers={"Sec-Fetch-Site": "same-origin"})
    assert own.status_code == 201
    assert client.get("/api/runs", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 200


def test_plain_forms_send_the_csrf_token_in_their_action(secured):
    sessions = Sessions(SECRET, 30 * 60)
    secured.cookies.set(SESSION_COOKIE, sessions.issue("alice", "sid-2"))
    token = sessions.csrf_token("sid-2")
    assert secured.post("/upload", files=_files()).status_code == 403
    response = secured.post(f"/upload?csrf_token={token}", files=_files())
    assert response.status_code in (200, 303)
    # The API only takes the header.
    assert secured.post(f"/api/upload?csrf_token={token}", files=_files()).status_code == 403


def test_signing_in_and_out_of_the_web_pages(secured):
    form = secured.get("/login?next=/runs")
    assert form.status_code == 200
    assert 'name="token"' in form.text and 'value="/runs"' in form.text

    wrong = secured.post("/login", data={"token": "crt_wrong", "next": "/runs"})
    assert wrong.status_code == 401
    assert "not valid" in wrong.text
    assert SESSION_COOKIE not in wrong.headers.get("set-cookie", "")

    right = secured.post("/login", data={"token": TOKEN, "next": "/runs"})
    assert right.status_code == 303
    assert right.headers["location"] == "/runs"
    cookie = right.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=") and "HttpOnly" in cookie
    page = secured.get("/runs")
    assert page.status_code == 200
    assert "Sign out" in page.text

    token = page.text.split('name="csrf-token" content="')[1].split('"')[0]
    out = secured.post(f"/logout?csrf_token={token}")
    assert out.status_code == 303
    # Regression: the session used to be renewed on this very response, so signing out
    # left the browser signed in. Only the clearing cookie may be set.
    session_cookies = [
        c for c in out.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE)
    ]
    assert len(session_cookies) == 1 and "Max-Age=0" in session_cookies[0]
    assert secured.get("/runs").status_code == 303  # with whatever cookies the client kept

    actions = [
        e["action"]
        for e in secured.get("/api/audit", headers={"Authorization": f"Bearer {TOKEN}"}).json()[
            "data"
        ]
    ]
    assert actions[:2] == ["sign_in", "sign_in_failed"]


def test_sign_in_never_redirects_to_another_site(secured):
    for target in ("//evil.example/x", "https://evil.example/", "javascript:alert(1)"):
        response = secured.post("/login", data={"token": TOKEN, "next": target})
        assert response.headers["location"] == "/"


def test_login_is_a_no_op_without_tokens(client):
    response = client.get("/login?next=/runs", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/runs"
