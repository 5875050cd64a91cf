"""Metric values, special floats, history with repeated steps, latest-value rules."""

import math
import time

import mlflow
import pytest
from mlflow.entities import Metric

from conftest import unique_name


@pytest.mark.wharf_only  # MLflow's SQL store clamps +-inf to +-1.7976931348623157e308
def test_nan_and_infinities_round_trip(client, experiment_id):
    with mlflow.start_run() as run:
        mlflow.log_metric("nan", float("nan"))
        mlflow.log_metric("pinf", float("inf"))
        mlflow.log_metric("ninf", float("-inf"))
        mlflow.log_metrics({"batch_nan": float("nan"), "batch_pinf": math.inf, "batch_ninf": -math.inf})
    run_id = run.info.run_id
    metrics = client.get_run(run_id).data.metrics
    assert math.isnan(metrics["nan"])
    assert metrics["pinf"] == math.inf
    assert metrics["ninf"] == -math.inf
    assert math.isnan(metrics["batch_nan"])
    assert metrics["batch_pinf"] == math.inf
    assert metrics["batch_ninf"] == -math.inf
    for key, check in [
        ("nan", math.isnan),
        ("pinf", lambda v: v == math.inf),
        ("ninf", lambda v: v == -math.inf),
    ]:
        hist = client.get_metric_history(run_id, key)
        assert len(hist) == 1
        assert check(hist[0].value), (key, hist[0].value)


def test_exact_float_values(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    values = {
        "tenth_sum": 0.1 + 0.2,
        "tiny": 5e-324,
        "small": 1e-300,
        "huge": 1.7976931348623157e308,
        "neg": -123456.789012345,
        "zero": 0.0,
        "int_like": 42.0,
        "pi": math.pi,
    }
    for k, v in values.items():
        client.log_metric(run_id, k, v)
    got = client.get_run(run_id).data.metrics
    assert got == values
    for k, v in values.items():
        assert [m.value for m in client.get_metric_history(run_id, k)] == [v]


def test_history_with_repeated_steps(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    base = int(time.time() * 1000)
    points = [  # (value, timestamp, step): repeated steps, repeated values and timestamps
        (1.0, base, 0),
        (1.5, base + 10, 0),
        (2.0, base + 20, 1),
        (2.5, base + 20, 1),
        (2.0, base + 30, 1),
        (0.5, base + 40, 2),
    ]
    for value, ts, step in points:
        client.log_metric(run_id, "loss", value, timestamp=ts, step=step)
    hist = client.get_metric_history(run_id, "loss")
    assert all(m.key == "loss" for m in hist)
    assert sorted((m.value, m.timestamp, m.step) for m in hist) == sorted(points)
    # latest = largest step, then timestamp, then value
    assert client.get_run(run_id).data.metrics["loss"] == 0.5


def test_fluent_steps_and_timestamps(client, experiment_id):
    with mlflow.start_run() as run:
        for step in range(10):
            mlflow.log_metric("acc", step / 10, step=step)
        mlflow.log_metrics({"a": 1.0, "b": 2.0}, step=5)
    run_id = run.info.run_id
    hist = client.get_metric_history(run_id, "acc")
    assert sorted((m.step, m.value) for m in hist) == [(s, s / 10) for s in range(10)]
    assert all(isinstance(m.timestamp, int) and m.timestamp > 0 for m in hist)
    assert client.get_metric_history(run_id, "a")[0].step == 5
    assert client.get_run(run_id).data.metrics == {"acc": 0.9, "a": 1.0, "b": 2.0}


def test_latest_metric_ordering_rules(client, experiment_id):
    """RunData.metrics holds the latest value: max by (step, timestamp, value)."""
    run_id = client.create_run(experiment_id).info.run_id
    t = int(time.time() * 1000)
    # higher step beats later timestamp
    client.log_metric(run_id, "by_step", 10.0, timestamp=t + 1000, step=1)
    client.log_metric(run_id, "by_step", 20.0, timestamp=t, step=2)
    # same step: later timestamp wins even when logged first
    client.log_metric(run_id, "by_ts", 5.0, timestamp=t + 500, step=0)
    client.log_metric(run_id, "by_ts", 3.0, timestamp=t, step=0)
    # same step and timestamp: larger value wins
    client.log_metric(run_id, "by_value", 7.0, timestamp=t, step=0)
    client.log_metric(run_id, "by_value", 9.0, timestamp=t, step=0)
    client.log_metric(run_id, "by_value", 8.0, timestamp=t, step=0)
    metrics = client.get_run(run_id).data.metrics
    assert metrics["by_step"] == 20.0
    assert metrics["by_ts"] == 5.0
    assert metrics["by_value"] == 9.0


def test_large_steps_and_timestamps(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    big_step = 2**53 - 1
    ts = 4102444800000  # year 2100
    client.log_metric(run_id, "far", 1.0, timestamp=ts, step=big_step)
    client.log_metric(run_id, "neg_step", 2.0, timestamp=ts, step=-5)
    (m,) = client.get_metric_history(run_id, "far")
    assert (m.step, m.timestamp, m.value) == (big_step, ts, 1.0)
    (n,) = client.get_metric_history(run_id, "neg_step")
    assert n.step == -5


def test_history_of_unknown_metric_is_empty(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    assert list(client.get_metric_history(run_id, "never-logged")) == []


def test_metric_keys_with_path_like_names(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    keys = ["train/loss", "val loss", "eval.accuracy", "f1-score", "a_b"]
    for i, k in enumerate(keys):
        client.log_metric(run_id, k, float(i))
    got = client.get_run(run_id).data.metrics
    assert got == {k: float(i) for i, k in enumerate(keys)}
    assert [m.value for m in client.get_metric_history(run_id, "train/loss")] == [0.0]


def test_history_over_many_points(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    ts = int(time.time() * 1000)
    client.log_batch(run_id, metrics=[Metric("curve", i * 0.5, ts + i, i) for i in range(3000)])
    hist = client.get_metric_history(run_id, "curve")
    assert len(hist) == 3000
    assert sorted((m.step, m.value, m.timestamp) for m in hist) == [
        (i, i * 0.5, ts + i) for i in range(3000)
    ]


@pytest.mark.wharf_only  # MLflow's SQL store clamps +-inf to +-1.7976931348623157e308
def test_metric_history_raw_rest_nan_encoding(api, client, experiment_id):
    """NaN/Infinity travel as the JSON strings "NaN", "Infinity", "-Infinity"."""
    run_id = client.create_run(experiment_id).info.run_id
    ts = int(time.time() * 1000)
    for value in ("NaN", "Infinity", "-Infinity"):
        r = api.post(
            "/api/2.0/mlflow/runs/log-metric",
            {"run_id": run_id, "key": "special", "value": value, "timestamp": ts, "step": 0},
        )
        assert r.status_code == 200, r.text
    r = api.get("/api/2.0/mlflow/metrics/get-history", {"run_id": run_id, "metric_key": "special"})
    assert r.status_code == 200, r.text
    values = sorted(m["value"] for m in r.json()["metrics"])
    assert values == sorted(["NaN", "Infinity", "-Infinity"])
    hist = client.get_metric_history(run_id, "special")
    vals = [m.value for m in hist]
    assert sum(1 for v in vals if math.isnan(v)) == 1
    assert math.inf in vals and -math.inf in vals
