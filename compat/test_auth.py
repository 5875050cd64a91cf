"""Bearer-token auth (`wharf server --auth-token`): the client with MLFLOW_TRACKING_TOKEN works,
without it (or with a wrong one) it gets 401 UNAUTHENTICATED; GET /health stays open."""

import os
from pathlib import Path

import mlflow
import pytest
import requests
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from conftest import AUTH_TOKEN, LOCAL_ARTIFACTS, raw_http, unique_name


@pytest.fixture
def auth_uri(wharf_auth_server, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", wharf_auth_server.url)
    mlflow.set_tracking_uri(wharf_auth_server.url)
    return wharf_auth_server.url


def test_health_is_open(wharf_auth_server):
    resp = requests.get(wharf_auth_server.url + "/health", timeout=10)
    assert resp.status_code == 200
    assert resp.text.strip() == "OK"


def test_client_with_token_works(auth_uri, monkeypatch, tmp_path):
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", AUTH_TOKEN)
    client = MlflowClient(auth_uri)
    name = unique_name("auth")
    exp = mlflow.set_experiment(name)
    with mlflow.start_run() as run:
        mlflow.log_param("p", "1")
        mlflow.log_metric("m", 2.0)
        mlflow.log_text("secret artifact", "a/b.txt")
    got = client.get_run(run.info.run_id)
    assert got.data.params == {"p": "1"}
    assert got.data.metrics == {"m": 2.0}
    assert [f.path for f in client.list_artifacts(run.info.run_id, "a")] == ["a/b.txt"]
    local = client.download_artifacts(run.info.run_id, "a/b.txt", str(tmp_path))
    assert Path(local).read_text() == "secret artifact"
    assert client.get_experiment(exp.experiment_id).name == name


def test_client_without_token_is_unauthenticated(auth_uri, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_TOKEN", raising=False)
    client = MlflowClient(auth_uri)
    with pytest.raises(MlflowException) as exc:
        client.create_experiment(unique_name("noauth"))
    assert exc.value.error_code == "UNAUTHENTICATED"
    with pytest.raises(MlflowException) as exc:
        client.search_experiments()
    assert exc.value.error_code == "UNAUTHENTICATED"


def test_wrong_token_is_unauthenticated(auth_uri, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", AUTH_TOKEN + "-wrong")
    client = MlflowClient(auth_uri)
    with pytest.raises(MlflowException) as exc:
        client.get_experiment("0")
    assert exc.value.error_code == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/api/2.0/mlflow/experiments/get?experiment_id=0"),
        ("POST", "/api/2.0/mlflow/experiments/search"),
        ("GET", "/ajax-api/2.0/mlflow/experiments/get?experiment_id=0"),
        ("GET", "/api/2.0/mlflow-artifacts/artifacts?path="),
        ("GET", "/api/2.0/mlflow-artifacts/artifacts/0/x.txt"),
        ("PUT", "/api/2.0/mlflow-artifacts/artifacts/0/x.txt"),
        ("DELETE", "/api/2.0/mlflow-artifacts/artifacts/0/x.txt"),
    ],
)
@pytest.mark.parametrize("auth", [None, "Bearer wrong", "Basic dXNlcjpwYXNz", f"bearer{AUTH_TOKEN}"])
def test_raw_requests_need_the_token(wharf_auth_server, method, path, auth):
    headers = {"Content-Type": "application/json"}
    if auth:
        headers["Authorization"] = auth
    server = wharf_auth_server
    body = b"{}" if method in ("POST", "PUT") else None
    # raw_http adds the server's own token; bypass it by using a token-less copy
    import dataclasses

    anon = dataclasses.replace(server, auth_token=None)
    status, _, data = raw_http(anon, method, path, body, headers)
    assert status == 401, (status, data[:300])
    assert b"UNAUTHENTICATED" in data
    # nothing was written by the refused PUT
    if LOCAL_ARTIFACTS:
        assert not (server.artifacts / "0" / "x.txt").exists()


def test_raw_request_with_token_succeeds(wharf_auth_server):
    status, _, data = raw_http(wharf_auth_server, "GET", "/api/2.0/mlflow/experiments/get?experiment_id=0")
    assert status == 200, data
    assert b'"Default"' in data
