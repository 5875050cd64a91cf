"""Refusals: error codes through the client, statuses and 'nothing written' through raw REST."""

import time
import uuid

import pytest
from mlflow.exceptions import MlflowException, RestException

from conftest import unique_name

API = "/api/2.0/mlflow"


def _assert_error(resp, status, code):
    assert resp.status_code == status, (resp.status_code, resp.text)
    body = resp.json()
    assert body.get("error_code") == code, body
    assert isinstance(body.get("message"), str) and body["message"], body


def test_unknown_run(client, api):
    missing = uuid.uuid4().hex
    with pytest.raises(MlflowException) as exc:
        client.get_run(missing)
    assert exc.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert isinstance(exc.value, RestException)
    _assert_error(api.get(f"{API}/runs/get", {"run_id": missing}), 404, "RESOURCE_DOES_NOT_EXIST")
    for call in (
        lambda: client.log_metric(missing, "m", 1.0),
        lambda: client.log_param(missing, "p", "v"),
        lambda: client.set_tag(missing, "t", "v"),
        lambda: client.delete_run(missing),
        lambda: client.restore_run(missing),
        lambda: client.update_run(missing, status="FINISHED"),
    ):
        with pytest.raises(MlflowException) as exc:
            call()
        assert exc.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_unknown_experiment(client, api):
    with pytest.raises(MlflowException) as exc:
        client.get_experiment("987654321")
    assert exc.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    _assert_error(api.get(f"{API}/experiments/get", {"experiment_id": "987654321"}), 404,
                  "RESOURCE_DOES_NOT_EXIST")
    _assert_error(api.get(f"{API}/experiments/get-by-name", {"experiment_name": unique_name("nope")}),
                  404, "RESOURCE_DOES_NOT_EXIST")
    with pytest.raises(MlflowException) as exc:
        client.create_run("987654321")
    assert exc.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MlflowException) as exc:
        client.restore_experiment("987654321")
    assert exc.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_duplicate_experiment(client, api):
    name = unique_name("dup")
    exp_id = client.create_experiment(name)
    with pytest.raises(MlflowException) as exc:
        client.create_experiment(name)
    assert exc.value.error_code == "RESOURCE_ALREADY_EXISTS"
    _assert_error(api.post(f"{API}/experiments/create", {"name": name}), 400, "RESOURCE_ALREADY_EXISTS")
    # also when the existing one is soft-deleted
    client.delete_experiment(exp_id)
    with pytest.raises(MlflowException) as exc:
        client.create_experiment(name)
    assert exc.value.error_code == "RESOURCE_ALREADY_EXISTS"


@pytest.mark.wharf_only  # MLflow leaks a raw SQL IntegrityError as BAD_REQUEST
def test_rename_onto_existing_name_is_refused(client):
    name = unique_name("dup")
    client.create_experiment(name)
    other = client.create_experiment(unique_name("dup-other"))
    with pytest.raises(MlflowException) as exc:
        client.rename_experiment(other, name)
    assert exc.value.error_code in ("RESOURCE_ALREADY_EXISTS", "INVALID_PARAMETER_VALUE")
    assert client.get_experiment(other).name != name


def test_changing_param_is_refused(client, api, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_param(run_id, "p", "1")
    with pytest.raises(MlflowException) as exc:
        client.log_param(run_id, "p", "2")
    assert exc.value.error_code == "INVALID_PARAMETER_VALUE"
    _assert_error(api.post(f"{API}/runs/log-parameter", {"run_id": run_id, "key": "p", "value": "3"}),
                  400, "INVALID_PARAMETER_VALUE")
    assert client.get_run(run_id).data.params == {"p": "1"}


def _batch_is_refused_and_nothing_written(client, api, run_id, payload):
    resp = api.post(f"{API}/runs/log-batch", dict(payload, run_id=run_id))
    _assert_error(resp, 400, "INVALID_PARAMETER_VALUE")
    run = client.get_run(run_id)
    assert run.data.metrics == {}, "refused batch wrote metrics"
    assert run.data.params == {"existing": "1"}, "refused batch wrote params"
    assert not [k for k in run.data.tags if k.startswith("bt")], "refused batch wrote tags"
    for key in {m["key"] for m in payload.get("metrics", [])}:
        assert client.get_metric_history(run_id, key) == []


@pytest.mark.parametrize(
    "case",
    ["1001_metrics", "101_params", "101_tags", "over_1000_entities", "bad_metric_last", "changed_param"],
)
def test_over_limit_or_invalid_log_batch_writes_nothing(client, api, experiment_id, case):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_param(run_id, "existing", "1")
    ts = int(time.time() * 1000)
    m = lambda i: {"key": f"bm{i % 7}", "value": float(i), "timestamp": ts, "step": i}  # noqa: E731
    payload = {
        "1001_metrics": {"metrics": [m(i) for i in range(1001)]},
        "101_params": {"params": [{"key": f"bp{i}", "value": "v"} for i in range(101)],
                       "metrics": [m(0)]},
        "101_tags": {"tags": [{"key": f"bt{i}", "value": "v"} for i in range(101)], "metrics": [m(0)]},
        "over_1000_entities": {
            "metrics": [m(i) for i in range(950)],
            "params": [{"key": f"bp{i}", "value": "v"} for i in range(40)],
            "tags": [{"key": f"bt{i}", "value": "v"} for i in range(40)],
        },
        # one invalid entry at the end: the valid ones before it must not be written either
        "bad_metric_last": {
            "metrics": [m(i) for i in range(10)] + [{"key": "bm0", "value": "not-a-number",
                                                     "timestamp": ts, "step": 0}],
            "tags": [{"key": "bt0", "value": "v"}],
        },
        # changing an existing param inside a batch refuses the whole batch
        "changed_param": {
            "metrics": [m(i) for i in range(5)],
            "params": [{"key": "bp0", "value": "new"}, {"key": "existing", "value": "2"}],
            "tags": [{"key": "bt0", "value": "v"}],
        },
    }[case]
    _batch_is_refused_and_nothing_written(client, api, run_id, payload)


def test_exactly_at_limits_is_accepted(client, api, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    ts = int(time.time() * 1000)
    resp = api.post(f"{API}/runs/log-batch", {
        "run_id": run_id,
        "metrics": [{"key": "m", "value": float(i), "timestamp": ts, "step": i} for i in range(1000)],
    })
    assert resp.status_code == 200, resp.text
    resp = api.post(f"{API}/runs/log-batch", {
        "run_id": run_id,
        "params": [{"key": f"p{i}", "value": "v"} for i in range(100)],
        "tags": [{"key": f"t{i}", "value": "v"} for i in range(100)],
    })
    assert resp.status_code == 200, resp.text
    run = client.get_run(run_id)
    assert len(client.get_metric_history(run_id, "m")) == 1000
    assert len(run.data.params) == 100
    assert all(run.data.tags.get(f"t{i}") == "v" for i in range(100))


@pytest.mark.parametrize(
    "path, body",
    [
        pytest.param("/runs/create", b"{not json", marks=pytest.mark.wharf_only),  # MLflow ignores it
        ("/experiments/create", b'{"name": "x"'),
        pytest.param("/runs/log-batch", b"[1, 2, 3]", marks=pytest.mark.wharf_only),  # MLflow: 500
        ("/runs/log-metric", b"\xff\xfe garbage"),
        ("/experiments/search", b"{'single': 'quotes'}"),
    ],
)
def test_malformed_json(api, path, body):
    _assert_error(api.post(API + path, data=body), 400, "INVALID_PARAMETER_VALUE")


def test_missing_required_fields(api, client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    _assert_error(api.post(f"{API}/experiments/create", {}), 400, "INVALID_PARAMETER_VALUE")
    _assert_error(api.post(f"{API}/runs/log-metric", {"run_id": run_id, "key": "m", "timestamp": 1}),
                  400, "INVALID_PARAMETER_VALUE")
    _assert_error(api.post(f"{API}/runs/log-parameter", {"run_id": run_id, "value": "v"}),
                  400, "INVALID_PARAMETER_VALUE")
    _assert_error(api.get(f"{API}/metrics/get-history", {"run_id": run_id}), 400,
                  "INVALID_PARAMETER_VALUE")
    assert client.get_run(run_id).data.metrics == {}


@pytest.mark.parametrize("key", ["../escape", "/abs", "bad!key", "a" * 251, "x/../y"])
def test_invalid_metric_keys(api, client, experiment_id, key):
    run_id = client.create_run(experiment_id).info.run_id
    resp = api.post(f"{API}/runs/log-metric",
                    {"run_id": run_id, "key": key, "value": 1.0, "timestamp": 1, "step": 0})
    _assert_error(resp, 400, "INVALID_PARAMETER_VALUE")
    assert client.get_run(run_id).data.metrics == {}


def test_too_long_values(api, client, experiment_id):
    """Over-long param values: refused (400, nothing written) or truncated to 6000 chars as
    MLflow's server does with MLFLOW_TRUNCATE_LONG_VALUES; experiment names > 500 are refused."""
    run_id = client.create_run(experiment_id).info.run_id
    resp = api.post(f"{API}/runs/log-parameter", {"run_id": run_id, "key": "p", "value": "x" * 6001})
    if resp.status_code == 200:
        assert client.get_run(run_id).data.params == {"p": "x" * 6000}
    else:
        _assert_error(resp, 400, "INVALID_PARAMETER_VALUE")
        assert client.get_run(run_id).data.params == {}
    name = "n" * 501
    _assert_error(api.post(f"{API}/experiments/create", {"name": name}), 400, "INVALID_PARAMETER_VALUE")
    assert client.get_experiment_by_name(name) is None


def test_search_limits(api, experiment_id):
    _assert_error(api.post(f"{API}/runs/search", {"experiment_ids": [experiment_id], "max_results": 50001}),
                  400, "INVALID_PARAMETER_VALUE")
    _assert_error(api.post(f"{API}/runs/search", {"experiment_ids": [experiment_id],
                                                   "filter": "metrics.acc >> 1"}),
                  400, "INVALID_PARAMETER_VALUE")
    _assert_error(api.post(f"{API}/runs/search", {"experiment_ids": [experiment_id],
                                                   "page_token": "definitely-not-a-token"}),
                  400, "INVALID_PARAMETER_VALUE")


def test_write_to_deleted_run_refused(client, api, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.delete_run(run_id)
    resp = api.post(f"{API}/runs/log-batch", {"run_id": run_id, "params": [{"key": "p", "value": "v"}]})
    _assert_error(resp, 400, "INVALID_PARAMETER_VALUE")
    with pytest.raises(MlflowException) as exc:
        client.set_tag(run_id, "t", "v")
    assert exc.value.error_code == "INVALID_PARAMETER_VALUE"
    run = client.get_run(run_id)
    assert run.data.params == {} and "t" not in run.data.tags


def test_unknown_endpoint_is_404(api):
    resp = api.get(f"{API}/no-such-endpoint")
    assert resp.status_code == 404, resp.text


def test_ajax_api_prefix_serves_the_same_handlers(api, client, experiment_id):
    resp = api.get("/ajax-api/2.0/mlflow/experiments/get", {"experiment_id": experiment_id})
    assert resp.status_code == 200, resp.text
    assert resp.json()["experiment"]["experiment_id"] == experiment_id
    resp = api.get("/ajax-api/2.0/mlflow/runs/get", {"run_id": uuid.uuid4().hex})
    _assert_error(resp, 404, "RESOURCE_DOES_NOT_EXIST")


def test_create_run_in_deleted_experiment_refused(client):
    exp_id = client.create_experiment(unique_name("gone"))
    client.delete_experiment(exp_id)
    with pytest.raises(MlflowException) as exc:
        client.create_run(exp_id)
    assert exc.value.error_code == "INVALID_PARAMETER_VALUE"
    client.restore_experiment(exp_id)
    assert client.create_run(exp_id).info.experiment_id == exp_id
