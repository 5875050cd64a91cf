"""Fixtures for the Wharf compatibility suite.

The suite drives the real MLflow Python client (from PyPI) against a freshly
started `wharf server`. Nothing here is specific to a machine: the repository
root is found from this file's location, ports are picked free, and all server
state lives in pytest's temporary directories.

Every HTTP exchange the client makes is recorded (method, URL, body, status,
answer); when a test fails, the last exchanges are attached to its report under
"wharf HTTP exchanges", so a failure names the request and the server's answer.
"""

from __future__ import annotations

import collections
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# Fail fast: no long retry loops or two-minute timeouts while the server is wrong.
# These must be set before mlflow reads them (it reads at call time, but be early anyway).
os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
os.environ["MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"] = "0"
os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = "30"
# No telemetry / outbound network from the client; nothing inherited from the shell.
os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ["DO_NOT_TRACK"] = "true"
os.environ["MLFLOW_ENABLE_ASYNC_LOGGING"] = "false"
for _var in (
    "MLFLOW_TRACKING_TOKEN",
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
    "MLFLOW_TRACKING_AUTH",
    "MLFLOW_EXPERIMENT_NAME",
    "MLFLOW_EXPERIMENT_ID",
    "MLFLOW_RUN_ID",
    "MLFLOW_REGISTRY_URI",
    "MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD",
):
    os.environ.pop(_var, None)

import mlflow  # noqa: E402
import requests  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
WHARF_BIN = REPO_ROOT / "bin" / "wharf.js"
MLFLOW_MAJOR = int(mlflow.__version__.split(".")[0])
# WHARF_COMPAT_REFERENCE=mlflow runs the suite against the real `mlflow server` from the same
# venv instead of Wharf: a check that the tests themselves describe MLflow's behaviour.
REFERENCE_MODE = os.environ.get("WHARF_COMPAT_REFERENCE", "") == "mlflow"
STARTUP_TIMEOUT_S = 90.0 if REFERENCE_MODE else 20.0
AUTH_TOKEN = "compat-secret-token-1234"
# Scale-out mode (compat/run-scaleout.sh): each server on a PostgreSQL database of its own (made
# through the admin URL, named after the server's folder so a restart finds it again) and/or
# artifacts under a prefix of an object store (credentials from the environment, e.g.
# AZURE_STORAGE_CONNECTION_STRING). Tests that look at the store's files on disk are skipped then.
POSTGRES_ADMIN_URL = os.environ.get("WHARF_COMPAT_POSTGRES_ADMIN_URL", "")
ARTIFACTS_DESTINATION = os.environ.get("WHARF_COMPAT_ARTIFACTS_DESTINATION", "").rstrip("/")
LOCAL_ARTIFACTS = ARTIFACTS_DESTINATION == ""


def _postgres_uri(root: Path) -> str:
    """A database for the server in `root` (created on first use), as a postgresql:// URI."""
    import hashlib
    import urllib.parse

    name = "compat_" + hashlib.sha256(str(root).encode()).hexdigest()[:16]
    done = subprocess.run(
        ["psql", POSTGRES_ADMIN_URL, "-v", "ON_ERROR_STOP=1", "-qc", f"CREATE DATABASE {name}"],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0 and "already exists" not in done.stderr:
        pytest.exit(f"could not create database {name}: {done.stderr}", returncode=3)
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(POSTGRES_ADMIN_URL)._replace(path=f"/{name}"))


# --------------------------------------------------------------------------------------
# HTTP exchange recorder (wraps requests.Session.send, which the MLflow client uses)
# --------------------------------------------------------------------------------------

_EXCHANGES: collections.deque = collections.deque(maxlen=12)
_original_send = requests.Session.send


def _short(data, limit=600):
    if data is None:
        return ""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            return f"<{len(data)} binary bytes>"
    if not isinstance(data, str):
        return f"<{type(data).__name__} body>"
    return data if len(data) <= limit else data[:limit] + f"...<{len(data)} chars>"


def _recording_send(self, request, **kwargs):
    entry = {"method": request.method, "url": request.url, "body": _short(request.body)}
    try:
        response = _original_send(self, request, **kwargs)
    except Exception as exc:  # connection refused, timeout ...
        entry["answer"] = f"<no answer: {type(exc).__name__}: {exc}>"
        _EXCHANGES.append(entry)
        raise
    if kwargs.get("stream"):
        entry["answer"] = f"{response.status_code} <streamed body>"
    else:
        entry["answer"] = f"{response.status_code} {_short(response.content)}"
    _EXCHANGES.append(entry)
    return response


requests.Session.send = _recording_send


def record_exchange(method, url, body, status, answer):
    """Raw (http.client) helpers record their exchanges here too."""
    _EXCHANGES.append(
        {"method": method, "url": url, "body": _short(body), "answer": f"{status} {_short(answer)}"}
    )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    _EXCHANGES.clear()
    if REFERENCE_MODE and item.get_closest_marker("wharf_only"):
        pytest.skip("Wharf is stricter than MLflow here (reference mode)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and _EXCHANGES:
        lines = [
            f"{e['method']} {e['url']}\n    body:   {e['body']}\n    answer: {e['answer']}"
            for e in _EXCHANGES
        ]
        report.sections.append(("wharf HTTP exchanges (oldest first)", "\n".join(lines)))


# --------------------------------------------------------------------------------------
# Server process management
# --------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class WharfServer:
    url: str
    port: int
    root: Path  # temp dir holding db + artifacts (+ room for sentinels outside artifacts)
    artifacts: Path
    db_path: Path
    process: subprocess.Popen
    stderr_path: Path
    auth_token: str | None = None
    extra: dict = field(default_factory=dict)

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.auth_token}"} if self.auth_token else {}


def start_wharf(root: Path, auth_token: str | None = None) -> WharfServer:
    if auth_token and REFERENCE_MODE:
        pytest.skip("mlflow server has no --auth-token")
    if REFERENCE_MODE:
        pass
    elif not WHARF_BIN.exists():
        pytest.exit(f"{WHARF_BIN} not found (run `npm install` first)", returncode=3)
    elif not (REPO_ROOT / "dist").exists():
        pytest.exit(f"{REPO_ROOT / 'dist'} not found (run `npm install` first)", returncode=3)
    root.mkdir(parents=True, exist_ok=True)
    artifacts = root / "artifacts"
    db_path = root / "wharf.db"
    port = _free_port()
    if REFERENCE_MODE:
        # Validate the suite itself against the real `mlflow server` (see README).
        python = os.environ.get("WHARF_COMPAT_REFERENCE_PYTHON", sys.executable)
        cmd = [python, "-m", "mlflow", "server", "--workers", "1"]
    else:
        cmd = [os.environ.get("WHARF_COMPAT_NODE", "node"), str(WHARF_BIN), "server"]
    cmd += [
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--backend-store-uri",
        # absolute path: sqlite:////tmp/... as MLflow reads it
        _postgres_uri(root) if POSTGRES_ADMIN_URL else f"sqlite:///{db_path}",
        "--artifacts-destination",
        f"{ARTIFACTS_DESTINATION}/{root.name}" if ARTIFACTS_DESTINATION else str(artifacts),
    ]
    if auth_token:
        cmd += ["--auth-token", auth_token]
    env = {k: v for k, v in os.environ.items() if not k.startswith("WHARF_")}
    stderr_path = root / "server.stderr"
    stdout_path = root / "server.stdout"
    with open(stderr_path, "wb") as err, open(stdout_path, "wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=str(root), env=env, stdout=out, stderr=err, start_new_session=True
        )
    server = WharfServer(
        url=f"http://127.0.0.1:{port}",
        port=port,
        root=root,
        artifacts=artifacts,
        db_path=db_path,
        process=proc,
        stderr_path=stderr_path,
        auth_token=auth_token,
    )
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            stop_wharf(server)
            pytest.exit(
                f"wharf server exited with code {proc.returncode} during start-up\n"
                f"command: {' '.join(cmd)}\n--- stderr ---\n{server.stderr()}\n"
                f"--- stdout ---\n{stdout_path.read_text(errors='replace')}",
                returncode=3,
            )
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health")
            resp = conn.getresponse()
            body = resp.read().decode("utf-8", "replace")
            conn.close()
            if resp.status == 200 and body.strip() == "OK":
                return server
            last_error = f"GET /health answered {resp.status} {body!r}"
        except OSError as exc:
            last_error = f"{type(exc).__name__}: {exc}"
        time.sleep(0.1)
    stop_wharf(server)
    pytest.exit(
        f"wharf server did not answer GET /health with OK within {STARTUP_TIMEOUT_S:.0f} s "
        f"({last_error})\ncommand: {' '.join(cmd)}\n--- stderr ---\n{server.stderr()}",
        returncode=3,
    )


def stop_wharf(server: WharfServer) -> None:
    proc = server.process
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=5)


@pytest.fixture(scope="session")
def wharf_server(tmp_path_factory):
    """The main server (no auth), shared by the whole session."""
    server = start_wharf(tmp_path_factory.mktemp("wharf"))
    yield server
    stop_wharf(server)
    if server.process.returncode not in (0, -signal.SIGTERM, None):
        sys.stderr.write(
            f"\nwharf server exited with {server.process.returncode}; stderr:\n{server.stderr()}\n"
        )


@pytest.fixture(scope="session")
def wharf_auth_server(tmp_path_factory):
    """A second server started with --auth-token."""
    server = start_wharf(tmp_path_factory.mktemp("wharf-auth"), auth_token=AUTH_TOKEN)
    yield server
    stop_wharf(server)


@pytest.fixture(autouse=True)
def _tracking_uri(wharf_server, monkeypatch):
    """Point the MLflow client at the main server for every test; leave no active run."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", wharf_server.url)
    mlflow.set_tracking_uri(wharf_server.url)
    yield
    while mlflow.active_run() is not None:
        try:
            mlflow.end_run()
        except Exception:
            break


# --------------------------------------------------------------------------------------
# Per-test helpers
# --------------------------------------------------------------------------------------


def unique_name(prefix: str = "compat") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def client():
    from mlflow.tracking import MlflowClient

    return MlflowClient()


@pytest.fixture
def experiment_id(client):
    """A fresh experiment per test, also made the fluent API's active experiment."""
    name = unique_name("exp")
    exp = mlflow.set_experiment(name)
    assert exp.name == name
    return exp.experiment_id


@pytest.fixture
def api(wharf_server):
    """Raw REST helper for the main server (requests, JSON)."""
    return RestApi(wharf_server)


class RestApi:
    def __init__(self, server: WharfServer):
        self.server = server
        self.session = requests.Session()

    def _url(self, path: str) -> str:
        return self.server.url + path

    def post(self, path, payload=None, data=None, headers=None):
        h = dict(self.server.headers())
        h.update(headers or {})
        if data is not None:
            h.setdefault("Content-Type", "application/json")
            return self.session.post(self._url(path), data=data, headers=h, timeout=30)
        return self.session.post(self._url(path), json=payload, headers=h, timeout=30)

    def get(self, path, params=None, headers=None):
        h = dict(self.server.headers())
        h.update(headers or {})
        return self.session.get(self._url(path), params=params, headers=h, timeout=30)


def raw_http(server: WharfServer, method: str, target: str, body: bytes | None = None,
             headers: dict | None = None):
    """Send `target` byte-for-byte as the request target (no normalisation, no re-encoding).

    `requests`/urllib3 re-encode some characters (backslash, malformed %), so path-traversal
    probes go through http.client, which sends the target as given.
    Returns (status, headers, body bytes).
    """
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    h = dict(server.headers())
    h.update(headers or {})
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        for k, v in h.items():
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        elif method in ("PUT", "POST"):
            conn.putheader("Content-Length", "0")
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read()
        record_exchange(method, target, body, resp.status, data)
        return resp.status, dict(resp.getheaders()), data
    finally:
        conn.close()


def error_json(body: bytes) -> dict:
    try:
        value = json.loads(body)
    except ValueError:
        raise AssertionError(f"error body is not JSON: {body[:300]!r}")
    assert isinstance(value, dict), f"error body is not a JSON object: {value!r}"
    return value


def log_sklearn_model(model, name: str, **kwargs):
    """mlflow.sklearn.log_model across versions: 3.x takes name=, 2.x artifact_path=."""
    import mlflow.sklearn

    if MLFLOW_MAJOR >= 3:
        return mlflow.sklearn.log_model(model, name=name, **kwargs)
    return mlflow.sklearn.log_model(model, artifact_path=name, **kwargs)


def tree_snapshot(root: Path, exclude: tuple[Path, ...] = ()) -> dict:
    """Map of relative path -> (size, mtime_ns) for every entry under root, minus excludes."""
    snap = {}
    excl = [p.resolve() for p in exclude]
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        d = Path(dirpath)
        dirnames[:] = [n for n in dirnames if (d / n).resolve() not in excl]
        for n in dirnames + filenames:
            p = d / n
            if p.resolve() in excl:
                continue
            st = p.lstat()
            snap[str(p.relative_to(root))] = (st.st_size, st.st_mtime_ns)
    return snap


def copy_tree_is_identical(a: Path, b: Path) -> bool:
    """Byte-compare two directory trees."""
    import filecmp

    cmp = filecmp.dircmp(a, b)
    if cmp.left_only or cmp.right_only or cmp.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, cmp.common_files, shallow=False)
    if mismatch or errors:
        return False
    return all(copy_tree_is_identical(a / d, b / d) for d in cmp.common_dirs)


__all__ = [
    "AUTH_TOKEN",
    "MLFLOW_MAJOR",
    "REPO_ROOT",
    "RestApi",
    "WharfServer",
    "copy_tree_is_identical",
    "error_json",
    "log_sklearn_model",
    "raw_http",
    "start_wharf",
    "stop_wharf",
    "tree_snapshot",
    "unique_name",
]
