"""Runs through the fluent API and MlflowClient: create/get/update/delete/restore, params, tags, batches."""

import time

import mlflow
import pytest
from mlflow.entities import Metric, Param, RunStatus, RunTag
from mlflow.exceptions import MlflowException

from conftest import unique_name


def test_fluent_run_lifecycle(client, experiment_id):
    before = int(time.time() * 1000)
    with mlflow.start_run(run_name="fluent-run", tags={"team": "compat"}, description="a note") as run:
        run_id = run.info.run_id
        assert run.info.experiment_id == experiment_id
        assert run.info.status == "RUNNING"
        mlflow.log_param("alpha", 0.5)
        mlflow.log_params({"layers": 3, "optimizer": "adam", "empty": ""})
        mlflow.log_metric("loss", 1.25)
        mlflow.log_metrics({"acc": 0.75, "f1": 0.5})
        mlflow.set_tag("stage", "dev")
        mlflow.set_tags({"owner": "me", "priority": 2})
    after = int(time.time() * 1000)

    got = client.get_run(run_id)
    info, data = got.info, got.data
    assert info.run_id == run_id
    assert len(run_id) == 32 and all(c in "0123456789abcdef" for c in run_id)
    assert info.run_name == "fluent-run"
    assert info.experiment_id == experiment_id
    assert info.status == "FINISHED"
    assert info.lifecycle_stage == "active"
    assert before - 5000 <= info.start_time <= after + 5000
    assert info.end_time is not None and info.start_time <= info.end_time <= after + 5000
    assert info.artifact_uri.startswith("mlflow-artifacts:/"), info.artifact_uri
    assert info.artifact_uri.endswith(f"/{run_id}/artifacts"), info.artifact_uri
    assert data.params == {"alpha": "0.5", "layers": "3", "optimizer": "adam", "empty": ""}
    assert data.metrics == {"loss": 1.25, "acc": 0.75, "f1": 0.5}
    assert data.tags["team"] == "compat"
    assert data.tags["stage"] == "dev"
    assert data.tags["owner"] == "me"
    assert data.tags["priority"] == "2"
    assert data.tags["mlflow.runName"] == "fluent-run"
    assert data.tags["mlflow.note.content"] == "a note"
    assert "mlflow.user" in data.tags
    assert info.user_id == data.tags["mlflow.user"]
    assert data.tags["mlflow.source.type"] == "LOCAL"


def test_failed_run_status(client, experiment_id):
    with pytest.raises(RuntimeError):
        with mlflow.start_run() as run:
            run_id = run.info.run_id
            raise RuntimeError("boom")
    info = client.get_run(run_id).info
    assert info.status == "FAILED"
    assert info.end_time is not None


def test_generated_run_name(client, experiment_id):
    with mlflow.start_run() as run:
        pass
    got = client.get_run(run.info.run_id)
    assert got.info.run_name  # server (or client) generated a name
    assert got.data.tags["mlflow.runName"] == got.info.run_name


def test_nested_runs(client, experiment_id):
    with mlflow.start_run(run_name="parent") as parent:
        with mlflow.start_run(run_name="child-1", nested=True) as child1:
            mlflow.log_param("which", "1")
        with mlflow.start_run(run_name="child-2", nested=True) as child2:
            with mlflow.start_run(run_name="grandchild", nested=True) as grandchild:
                mlflow.log_metric("depth", 2)
    parent_id = parent.info.run_id
    c1 = client.get_run(child1.info.run_id)
    c2 = client.get_run(child2.info.run_id)
    gc = client.get_run(grandchild.info.run_id)
    assert c1.data.tags["mlflow.parentRunId"] == parent_id
    assert c2.data.tags["mlflow.parentRunId"] == parent_id
    assert gc.data.tags["mlflow.parentRunId"] == child2.info.run_id
    assert "mlflow.parentRunId" not in client.get_run(parent_id).data.tags
    assert client.get_parent_run(c1.info.run_id).info.run_id == parent_id
    children = client.search_runs(
        [experiment_id], filter_string=f"tags.mlflow.parentRunId = '{parent_id}'"
    )
    assert sorted(r.info.run_name for r in children) == ["child-1", "child-2"]
    for r in (c1, c2, gc):
        assert r.info.status == "FINISHED"


def test_client_create_update_terminate(client, experiment_id):
    start = int(time.time() * 1000) - 60_000
    run = client.create_run(experiment_id, start_time=start, tags={"k": "v"}, run_name="client-run")
    run_id = run.info.run_id
    assert run.info.status == "RUNNING"
    assert run.info.start_time == start
    assert run.info.run_name == "client-run"
    assert run.data.tags["k"] == "v"
    assert run.data.tags["mlflow.runName"] == "client-run"

    got = client.get_run(run_id)
    assert got.info.start_time == start
    assert got.info.end_time is None
    assert got.info.status == "RUNNING"

    client.update_run(run_id, status="KILLED", name="renamed-run")
    got = client.get_run(run_id)
    assert got.info.status == "KILLED"
    assert got.info.run_name == "renamed-run"
    assert got.data.tags["mlflow.runName"] == "renamed-run"

    end = start + 30_000
    client.set_terminated(run_id, status="FINISHED", end_time=end)
    got = client.get_run(run_id)
    assert got.info.status == "FINISHED"
    assert got.info.end_time == end
    assert got.info.run_name == "renamed-run"


def test_resume_run(client, experiment_id):
    with mlflow.start_run() as run:
        mlflow.log_param("p", "1")
    run_id = run.info.run_id
    assert client.get_run(run_id).info.status == "FINISHED"
    with mlflow.start_run(run_id=run_id) as resumed:
        assert resumed.info.run_id == run_id
        assert client.get_run(run_id).info.status == "RUNNING"
        mlflow.log_param("q", "2")
    got = client.get_run(run_id)
    assert got.info.status == "FINISHED"
    assert got.data.params == {"p": "1", "q": "2"}


def test_delete_and_restore_run(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_param(run_id, "p", "v")
    client.delete_run(run_id)
    got = client.get_run(run_id)  # get works on deleted runs
    assert got.info.lifecycle_stage == "deleted"
    assert got.data.params == {"p": "v"}
    # writes to a deleted run are refused
    with pytest.raises(MlflowException) as exc:
        client.log_metric(run_id, "m", 1.0)
    assert exc.value.error_code == "INVALID_PARAMETER_VALUE"
    client.restore_run(run_id)
    got = client.get_run(run_id)
    assert got.info.lifecycle_stage == "active"
    client.log_metric(run_id, "m", 2.0)
    assert client.get_run(run_id).data.metrics == {"m": 2.0}


def test_params_are_immutable_but_idempotent(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_param(run_id, "lr", "0.1")
    client.log_param(run_id, "lr", "0.1")  # same value again: no-op
    with pytest.raises(MlflowException) as exc:
        client.log_param(run_id, "lr", "0.2")
    assert exc.value.error_code == "INVALID_PARAMETER_VALUE"
    assert client.get_run(run_id).data.params == {"lr": "0.1"}


def test_tags_overwrite_and_delete(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.set_tag(run_id, "t", "1")
    client.set_tag(run_id, "t", "2")
    client.set_tag(run_id, "keep", "yes")
    client.set_tag(run_id, "odd key-with.chars/and space", "ok")
    tags = client.get_run(run_id).data.tags
    assert tags["t"] == "2" and tags["keep"] == "yes" and tags["odd key-with.chars/and space"] == "ok"
    client.delete_tag(run_id, "t")
    tags = client.get_run(run_id).data.tags
    assert "t" not in tags and tags["keep"] == "yes"
    with pytest.raises(MlflowException) as exc:
        client.delete_tag(run_id, "t")
    assert exc.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_log_batch(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    ts = int(time.time() * 1000)
    client.log_batch(
        run_id,
        metrics=[Metric("m1", 1.5, ts, 0), Metric("m1", 2.5, ts + 1, 1), Metric("m2", -3.0, ts, 7)],
        params=[Param("p1", "a"), Param("p2", "b")],
        tags=[RunTag("t1", "x"), RunTag("t1", "y")],  # last one wins
    )
    got = client.get_run(run_id)
    assert got.data.metrics == {"m1": 2.5, "m2": -3.0}
    assert got.data.params == {"p1": "a", "p2": "b"}
    assert got.data.tags["t1"] == "y"
    hist = sorted((m.step, m.value, m.timestamp) for m in client.get_metric_history(run_id, "m1"))
    assert hist == [(0, 1.5, ts), (1, 2.5, ts + 1)]
    m2 = client.get_metric_history(run_id, "m2")
    assert [(m.key, m.value, m.step, m.timestamp) for m in m2] == [("m2", -3.0, 7, ts)]


def test_log_batch_large_is_chunked_and_complete(client, experiment_id):
    """The client splits this into several log-batch requests at the server's limits."""
    run_id = client.create_run(experiment_id).info.run_id
    ts = int(time.time() * 1000)
    metrics = [Metric("big", float(i), ts + i, i) for i in range(2500)]
    params = [Param(f"p{i:03d}", str(i)) for i in range(250)]
    tags = [RunTag(f"t{i:03d}", str(i)) for i in range(150)]
    client.log_batch(run_id, metrics=metrics, params=params, tags=tags)
    got = client.get_run(run_id)
    assert got.data.metrics["big"] == 2499.0
    assert got.data.params == {f"p{i:03d}": str(i) for i in range(250)}
    for i in range(150):
        assert got.data.tags[f"t{i:03d}"] == str(i)
    hist = client.get_metric_history(run_id, "big")
    assert sorted((m.step, m.value, m.timestamp) for m in hist) == [
        (i, float(i), ts + i) for i in range(2500)
    ]


def test_long_param_and_tag_values(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    param_value = "p" * 6000
    tag_value = "t" * 5000
    client.log_param(run_id, "long", param_value)
    client.set_tag(run_id, "long", tag_value)
    got = client.get_run(run_id)
    assert got.data.params["long"] == param_value
    assert got.data.tags["long"] == tag_value


def test_unicode_values_round_trip(client, experiment_id):
    run_id = client.create_run(experiment_id, run_name="ünïcödé ✓ run").info.run_id
    client.log_param(run_id, "text", "日本語 • emoji 🚀 • quote ' \" \\ backslash")
    client.set_tag(run_id, "multi", "line1\nline2\ttab")
    got = client.get_run(run_id)
    assert got.info.run_name == "ünïcödé ✓ run"
    assert got.data.params["text"] == "日本語 • emoji 🚀 • quote ' \" \\ backslash"
    assert got.data.tags["multi"] == "line1\nline2\ttab"


def test_run_status_values(client, experiment_id):
    for status in ("FINISHED", "FAILED", "KILLED", "RUNNING"):
        run_id = client.create_run(experiment_id).info.run_id
        client.set_terminated(run_id, status=status)
        assert client.get_run(run_id).info.status == status
        assert RunStatus.from_string(status) is not None
