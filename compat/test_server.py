"""Process-level behaviour: health, version, bind address, both API prefixes."""

import requests

from conftest import REFERENCE_MODE  # noqa: F401


def test_health(wharf_server):
    resp = requests.get(wharf_server.url + "/health", timeout=10)
    assert resp.status_code == 200
    assert resp.text.strip() == "OK"


def test_version(wharf_server):
    resp = requests.get(wharf_server.url + "/version", timeout=10)
    assert resp.status_code == 200
    assert resp.text.strip()


def test_experiments_search_via_get_and_post(api):
    post = api.post("/api/2.0/mlflow/experiments/search", {"max_results": 1000})
    assert post.status_code == 200, post.text
    get = api.get("/api/2.0/mlflow/experiments/search", {"max_results": 1000})
    assert get.status_code == 200, get.text
    ids_post = {e["experiment_id"] for e in post.json()["experiments"]}
    ids_get = {e["experiment_id"] for e in get.json()["experiments"]}
    assert "0" in ids_post and ids_post == ids_get


def test_int64_fields_are_json_numbers(api, client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    body = api.get("/api/2.0/mlflow/runs/get", {"run_id": run_id}).json()
    info = body["run"]["info"]
    assert isinstance(info["start_time"], int)
    assert info["run_id"] == info["run_uuid"] == run_id
    assert info["status"] == "RUNNING"
    exp = api.get("/api/2.0/mlflow/experiments/get", {"experiment_id": experiment_id}).json()
    assert isinstance(exp["experiment"]["creation_time"], int)


def test_log_metric_accepts_string_numbers(api, client, experiment_id):
    """Old clients and GET query strings send int64 as strings."""
    run_id = client.create_run(experiment_id).info.run_id
    resp = api.post("/api/2.0/mlflow/runs/log-metric",
                    {"run_id": run_id, "key": "s", "value": 1.5, "timestamp": "1700000000000", "step": "3"})
    assert resp.status_code == 200, resp.text
    (m,) = client.get_metric_history(run_id, "s")
    assert (m.value, m.timestamp, m.step) == (1.5, 1700000000000, 3)


def test_enum_ints_accepted(api, client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    resp = api.post("/api/2.0/mlflow/runs/update", {"run_id": run_id, "status": 3, "end_time": 1})
    assert resp.status_code == 200, resp.text
    assert resp.json()["run_info"]["status"] == "FINISHED"
    assert client.get_run(run_id).info.status == "FINISHED"
