"""Path traversal against the artifact routes (docs/security.md §3.1), via raw HTTP.

Every vector is sent byte-for-byte (http.client; `requests` would normalise `..` and re-encode
`\\` and malformed `%`), against:

  GET/PUT/DELETE /api/2.0/mlflow-artifacts/artifacts/<path>
  GET            /api/2.0/mlflow-artifacts/artifacts?path=<path>
  GET            /api/2.0/mlflow/artifacts/list?run_id=<run>&path=<path>

Expected: 400 {"error_code": "INVALID_PARAMETER_VALUE"} and nothing outside the artifacts
destination read, written or deleted. To keep a broken server harmless, every vector that could
write or delete aims at a sentinel folder inside the test's own temporary directory (a sibling of
the artifacts destination); only GET probes name /etc/passwd literally.
"""

from __future__ import annotations

import json
import os
import re
import urllib.parse
from pathlib import Path

import pytest
import requests

from conftest import LOCAL_ARTIFACTS, raw_http, record_exchange, tree_snapshot

PROXY = "/api/2.0/mlflow-artifacts/artifacts"
LIST = "/api/2.0/mlflow/artifacts/list"
SENTINEL_TEXT = b"WHARF-SENTINEL-do-not-leak-0123456789"

# Vectors. `{up}` is "../" repeated to climb from the route's base folder exactly to the test root
# (the folder holding artifacts/ and secret/), `{UP:<seg>}` repeats another spelling of "../".
# `{abs}` is the absolute path of the test root. Kinds:
#   "traversal": must be refused with 400 INVALID_PARAMETER_VALUE
#   "lookalike": refuse (400) or treat strictly literally (stays inside the root)
#   "get-only":  traversal that names real system files; only sent with GET
V = [
    # dot-dot segments
    ("dotdot", "{up}secret/passwd", "traversal"),
    ("dot-slash-dotdot", "./{up}secret/passwd", "traversal"),
    ("inner-dotdot", "model/../{up}secret/passwd", "traversal"),
    ("a-b-dotdot", "a/b/../../{up}secret/passwd", "traversal"),
    ("lone-dotdot", "..", "traversal"),
    ("trailing-dotdot", "a/b/..", "traversal"),
    ("trailing-dotdot-to-root", "a/..", "traversal"),
    ("etc-passwd", "../../../../../../../../../../etc/passwd", "get-only"),
    # percent-encoded: single, mixed case, partial, double, triple
    ("pct-lower", "{UP:%2e%2e%2f}secret%2fpasswd", "traversal"),
    ("pct-upper-dots", "{UP:%2E%2E/}secret/passwd", "traversal"),
    ("pct-slash", "{UP:..%2f}secret%2fpasswd", "traversal"),
    ("pct-half-dot", "{UP:.%2e/}secret/passwd", "traversal"),
    ("pct-double", "{UP:%252e%252e%252f}secret%252fpasswd", "traversal"),
    ("pct-triple", "{UP:%25252e%25252e%25252f}secret%25252fpasswd", "traversal"),
    ("pct-malformed-zz", "a%zzb", "traversal"),
    ("pct-malformed-bare", "a%", "traversal"),
    ("pct-malformed-short", "%2", "traversal"),
    # absolute and host forms
    ("absolute", "{abs}/secret/passwd", "traversal"),
    ("double-slash-absolute", "/{abs}/secret/passwd", "traversal"),
    ("etc-absolute", "/etc/passwd", "get-only"),
    ("file-uri", "file://{abs}/secret/passwd", "traversal"),
    ("slash-file-uri", "/file:/{abs}/secret/passwd", "traversal"),
    ("windows-drive", "C:/Windows/win.ini", "traversal"),
    ("windows-drive-relative", "c:foo", "traversal"),
    ("unc", "\\\\server\\share\\x", "traversal"),
    ("unc-device", "\\\\?\\C:\\x", "traversal"),
    # backslash
    ("backslash-dotdot", "{UP:..\\}secret\\passwd", "traversal"),
    ("backslash-inner", "a\\..\\..\\b", "traversal"),
    ("pct-backslash", "{UP:..%5c}secret%5cpasswd", "traversal"),
    ("pct-backslash-lead", "%5c..%5c..%5cx", "traversal"),
    # NUL / fragment / query smuggling
    ("nul-ext", "{abs}/secret/passwd%00.jpg", "traversal"),
    ("nul-inner", "a%00b", "traversal"),
    ("hash", "a%23b", "traversal"),
    ("hash-dotdot", "a%23/../{up}secret/passwd", "traversal"),
    ("query-dotdot", "a%3f/../{up}secret/passwd", "traversal"),
    # unicode look-alikes, overlong UTF-8, control characters, RTL override
    ("fullwidth-dots", "%EF%BC%8E%EF%BC%8E%EF%BC%8Fsecret%EF%BC%8Fpasswd", "lookalike"),
    ("two-dot-leader", "%E2%80%A5/secret/passwd", "lookalike"),
    ("division-slash", "..%E2%88%95secret%E2%88%95passwd", "lookalike"),
    ("overlong-utf8", "%c0%ae%c0%ae%c0%afsecret%c0%afpasswd", "lookalike"),
    ("control-01", "a%01b", "lookalike"),
    ("control-1f", "a%1fb", "lookalike"),
    ("control-7f", "a%7fb", "lookalike"),
    ("rtl-override", "a%E2%80%AEtxt.exe", "lookalike"),
]

# MLflow (the reference) is laxer than docs/security.md on POSIX for these; Wharf must refuse them.
STRICTER_THAN_MLFLOW = {
    "windows-drive-relative", "unc", "unc-device", "backslash-dotdot", "backslash-inner",
    "pct-backslash", "pct-backslash-lead", "pct-malformed-zz", "pct-malformed-bare",
    "pct-malformed-short", "nul-ext", "nul-inner", "pct-double", "pct-triple",
    "absolute", "double-slash-absolute", "slash-file-uri",  # Flask answers 308 to DELETE on these
}

ACCEPTED = ["path", "path/to/file", "model/MLmodel", "a..b", "....", "a..b/....", "dir.with.dots/x"]


def _params(methods_kinds):
    out = []
    for vid, template, kind in V:
        if kind not in methods_kinds:
            continue
        marks = [pytest.mark.wharf_only] if vid in STRICTER_THAN_MLFLOW else []
        out.append(pytest.param(vid, template, kind, id=vid, marks=marks))
    return out


def _expand(template: str, depth: int, root: Path) -> str:
    """Fill a vector template; the result is the URL-form string (already percent-encoded)."""
    s = template
    while "{UP:" in s:
        start = s.index("{UP:")
        end = s.index("}", start)
        seg = s[start + 4 : end]
        s = s[:start] + seg * depth + s[end + 1 :]
    abs_root = urllib.parse.quote(str(root), safe="/")
    return s.replace("{up}", "../" * depth).replace("{abs}", abs_root)


def _as_path_segment(url_form: str) -> str:
    # the URL form may contain raw backslashes; http.client sends them as they are
    return url_form


def _as_query_value(url_form: str) -> str:
    """The query variant carries the same *decoded* value, encoded once for the wire."""
    if re.search(r"%(?![0-9A-Fa-f]{2})", url_form):
        # malformed escapes: the literal text (e.g. "a%zzb") is the value
        return urllib.parse.quote(url_form, safe="")
    # decode to bytes (overlong / invalid UTF-8 stays as raw bytes), then encode once
    return urllib.parse.quote_from_bytes(urllib.parse.unquote_to_bytes(url_form), safe="")


@pytest.fixture
def sandbox(wharf_server, client, experiment_id):
    """Sentinel outside the artifacts destination, canary inside it, and a run to list."""
    if not LOCAL_ARTIFACTS:
        pytest.skip("plants files in the artifacts folder on disk; the object store's confinement is tested by its contract suite")
    root = wharf_server.root
    artifacts = wharf_server.artifacts
    secret = root / "secret"
    secret.mkdir(exist_ok=True)
    (secret / "passwd").write_bytes(SENTINEL_TEXT)
    run = client.create_run(experiment_id)
    client.log_text(run.info.run_id, "canary", "canary/keep.txt")
    rel = run.info.artifact_uri.split("mlflow-artifacts:", 1)[1].lstrip("/")
    run_dir = artifacts / rel
    assert (run_dir / "canary" / "keep.txt").read_text() == "canary", (
        "expected the run's artifacts under <artifacts-destination>/" + rel
    )
    excluded = (artifacts,) + tuple(root.glob("wharf.db*")) + tuple(root.glob("server.std*"))
    before = tree_snapshot(root, excluded)
    state = {"root": root, "artifacts": artifacts, "secret": secret, "run": run, "rel": rel,
             "run_dir": run_dir, "excluded": excluded, "before": before}
    yield state
    # nothing outside the artifacts destination changed
    after = tree_snapshot(root, tuple(root.glob("wharf.db*")) + tuple(root.glob("server.std*"))
                          + (artifacts,))
    assert after == before, f"files outside the artifacts destination changed: {set(after) ^ set(before)}"
    assert (secret / "passwd").read_bytes() == SENTINEL_TEXT
    assert (run_dir / "canary" / "keep.txt").read_text() == "canary", "canary inside root was deleted"


def _assert_refused(status, body, what):
    assert status == 400, f"{what}: expected 400, got {status} {body[:300]!r}"
    try:
        payload = json.loads(body)
    except ValueError:
        raise AssertionError(f"{what}: 400 body is not JSON: {body[:300]!r}")
    assert payload.get("error_code") == "INVALID_PARAMETER_VALUE", f"{what}: {payload}"


def _assert_no_leak(body):
    assert SENTINEL_TEXT not in body, "sentinel content leaked"
    assert b"root:x:0:0" not in body, "/etc/passwd leaked"


@pytest.mark.parametrize("vid, template, kind", _params({"traversal", "lookalike", "get-only"}))
def test_get_path_segment(wharf_server, sandbox, vid, template, kind):
    target = PROXY + "/" + _as_path_segment(_expand(template, 1, sandbox["root"]))
    status, _, body = raw_http(wharf_server, "GET", target)
    _assert_no_leak(body)
    if kind == "lookalike":
        assert status in (400, 404), (status, body[:300])
    else:
        _assert_refused(status, body, f"GET {target}")


@pytest.mark.parametrize("vid, template, kind", _params({"traversal", "lookalike"}))
def test_put_path_segment(wharf_server, sandbox, vid, template, kind):
    target = PROXY + "/" + _as_path_segment(_expand(template, 1, sandbox["root"]))
    status, _, body = raw_http(wharf_server, "PUT", target, b"pwned-by-" + vid.encode(),
                               {"Content-Type": "application/octet-stream"})
    if kind == "lookalike":
        assert status in (200, 400), (status, body[:300])
        if status == 400:
            _assert_refused(status, body, f"PUT {target}")
    else:
        _assert_refused(status, body, f"PUT {target}")


@pytest.mark.parametrize("vid, template, kind", _params({"traversal", "lookalike"}))
def test_delete_path_segment(wharf_server, sandbox, vid, template, kind):
    target = PROXY + "/" + _as_path_segment(_expand(template, 1, sandbox["root"]))
    status, _, body = raw_http(wharf_server, "DELETE", target)
    if kind == "lookalike":
        assert status in (200, 400, 404), (status, body[:300])
    else:
        _assert_refused(status, body, f"DELETE {target}")


@pytest.mark.parametrize("vid, template, kind", _params({"traversal", "lookalike", "get-only"}))
def test_list_proxy_query(wharf_server, sandbox, vid, template, kind):
    value = _as_query_value(_expand(template, 1, sandbox["root"]))
    target = PROXY + "?path=" + value
    status, _, body = raw_http(wharf_server, "GET", target)
    _assert_no_leak(body)
    if kind == "lookalike":
        assert status in (200, 400, 404), (status, body[:300])
        if status == 200:
            assert json.loads(body).get("files", []) == []
    else:
        _assert_refused(status, body, f"GET {target}")


@pytest.mark.parametrize("vid, template, kind", _params({"traversal", "lookalike", "get-only"}))
def test_list_run_artifacts_query(wharf_server, sandbox, vid, template, kind):
    # from <artifacts>/<exp>/<run>/artifacts, four levels up is the test root
    value = _as_query_value(_expand(template, 4, sandbox["root"]))
    run_id = sandbox["run"].info.run_id
    target = f"{LIST}?run_id={run_id}&path={value}"
    status, _, body = raw_http(wharf_server, "GET", target)
    _assert_no_leak(body)
    assert b"passwd" not in body or status == 400
    if kind == "lookalike":
        assert status in (200, 400, 404), (status, body[:300])
        if status == 200:
            assert json.loads(body).get("files", []) == []
    else:
        _assert_refused(status, body, f"GET {target}")


def test_requests_prepared_request_dotdot(wharf_server, sandbox):
    """The same probes via `requests`, with .url set on a PreparedRequest so `..` survives."""
    session = requests.Session()
    for method, data in (("GET", None), ("PUT", b"pwned"), ("DELETE", None)):
        for path in ("../secret/passwd", "a/../../secret/passwd", "%2e%2e/secret/passwd", ".."):
            req = requests.Request(method, wharf_server.url + PROXY + "/x", data=data).prepare()
            req.url = wharf_server.url + PROXY + "/" + path
            resp = session.send(req, timeout=30)
            record_exchange(method, req.url, data, resp.status_code, resp.content)
            _assert_no_leak(resp.content)
            _assert_refused(resp.status_code, resp.content, f"{method} {req.url}")


@pytest.mark.parametrize("path", ACCEPTED)
def test_legitimate_odd_paths_are_accepted(wharf_server, sandbox, path):
    base = f"{PROXY}/{sandbox['rel']}/ok"
    data = b"ok:" + path.encode()
    status, _, body = raw_http(wharf_server, "PUT", f"{base}/{path}", data,
                               {"Content-Type": "application/octet-stream"})
    assert status == 200, (status, body[:300])
    status, _, body = raw_http(wharf_server, "GET", f"{base}/{path}")
    assert status == 200 and body == data
    assert (sandbox["run_dir"] / "ok" / path).read_bytes() == data
    parent = f"{sandbox['rel']}/ok/{path}".rsplit("/", 1)[0]
    status, _, body = raw_http(wharf_server, "GET", f"{PROXY}?path={urllib.parse.quote(parent + '/')}")
    assert status == 200, (status, body[:300])
    assert path.rsplit("/", 1)[-1] in [f["path"] for f in json.loads(body)["files"]]


@pytest.mark.wharf_only
def test_symlink_escape_is_refused(wharf_server, sandbox):
    """A stored symlink pointing outside the root must not be followed (realpath containment)."""
    artifacts = sandbox["artifacts"]
    dir_link = artifacts / "evil-dir-link"
    file_link = artifacts / "evil-file-link"
    run_link = sandbox["run_dir"] / "evil-run-link"
    for link, dest in ((dir_link, sandbox["secret"]), (file_link, sandbox["secret"] / "passwd"),
                       (run_link, sandbox["secret"])):
        if link.is_symlink():
            link.unlink()
        os.symlink(dest, link)
    try:
        probes = [
            ("GET", f"{PROXY}/evil-dir-link/passwd", None),
            ("GET", f"{PROXY}/evil-file-link", None),
            ("PUT", f"{PROXY}/evil-dir-link/pwned.txt", b"pwned"),
            ("PUT", f"{PROXY}/evil-file-link", b"pwned"),
            ("DELETE", f"{PROXY}/evil-dir-link/passwd", None),
            ("DELETE", f"{PROXY}/evil-file-link", None),
            ("GET", f"{PROXY}?path=evil-dir-link", None),
            ("GET", f"{LIST}?run_id={sandbox['run'].info.run_id}&path=evil-run-link", None),
            ("GET", f"{PROXY}/{sandbox['rel']}/evil-run-link/passwd", None),
        ]
        for method, target, data in probes:
            status, _, body = raw_http(wharf_server, method, target, data,
                                       {"Content-Type": "application/octet-stream"} if data else None)
            _assert_no_leak(body)
            _assert_refused(status, body, f"{method} {target}")
        assert not (sandbox["secret"] / "pwned.txt").exists()
    finally:
        for link in (dir_link, file_link, run_link):
            if link.is_symlink():
                link.unlink()
