"""The model registry through the MLflow client's own calls (docs/protocols.md §3).

Register from a run (versions 1, 2, 3), aliases set/moved/deleted, stage transitions with
archive_existing_versions, search with filters/order/pages, rename, delete, loading
`models:/name@alias` with mlflow.pyfunc, and malicious version sources refused (docs/security.md §3.2).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlflow.exceptions import MlflowException

import mlflow
import mlflow.pyfunc
from conftest import MLFLOW_MAJOR, REFERENCE_MODE, log_sklearn_model, unique_name

# MLflow answers an unknown alias with INVALID_PARAMETER_VALUE (400); Wharf, like for an unknown model
# or version, with RESOURCE_DOES_NOT_EXIST (404). No client code depends on the difference.
UNKNOWN_ALIAS = "INVALID_PARAMETER_VALUE" if REFERENCE_MODE else "RESOURCE_DOES_NOT_EXIST"


def _error_code(exc: MlflowException) -> str:
    return getattr(exc, "error_code", "")


@pytest.fixture(scope="module")
def trained(wharf_server):
    """A small scikit-learn model logged once in a run, shared by the module."""
    from sklearn.linear_model import LinearRegression

    # Module fixtures run before the per-test autouse fixture that points the client at Wharf.
    mlflow.set_tracking_uri(wharf_server.url)
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(30, 3)), columns=["a", "b", "c"])
    y = X["a"] * 3.0 - X["b"]
    model = LinearRegression().fit(X, y)
    mlflow.set_experiment(unique_name("registry"))
    with mlflow.start_run() as run:
        log_sklearn_model(model, "model")
    return {"run_id": run.info.run_id, "X": X, "expected": model.predict(X)}


@pytest.fixture
def registered(client, trained):
    """A registered model with versions 1, 2, 3 of the trained model."""
    name = unique_name("reg")
    versions = [mlflow.register_model(f"runs:/{trained['run_id']}/model", name) for _ in range(3)]
    return name, versions


@pytest.mark.slow
def test_register_from_a_run_numbers_versions_1_2_3(client, trained, registered):
    name, versions = registered
    assert [v.version for v in versions] == ["1", "2", "3"]
    for v in versions:
        assert v.name == name
        assert v.run_id == trained["run_id"]
        assert v.status == "READY"
        assert v.current_stage == "None"
    rm = client.get_registered_model(name)
    assert [v.version for v in rm.latest_versions] == ["3"]
    uri = client.get_model_version_download_uri(name, "1")
    assert uri.startswith("mlflow-artifacts:/")
    if MLFLOW_MAJOR >= 3:
        # 3.x registers the logged model (models:/m-...) and the server resolves its location.
        assert versions[0].source.startswith("models:/m-")
        assert "/models/m-" in uri


@pytest.mark.slow
def test_aliases_are_set_moved_and_deleted(client, registered):
    name, _ = registered
    client.set_registered_model_alias(name, "champion", "1")
    assert client.get_model_version_by_alias(name, "champion").version == "1"
    client.set_registered_model_alias(name, "champion", "2")
    client.set_registered_model_alias(name, "challenger", "3")
    mv = client.get_model_version_by_alias(name, "champion")
    assert mv.version == "2" and mv.aliases == ["champion"]
    assert client.get_registered_model(name).aliases == {"champion": "2", "challenger": "3"}
    client.delete_registered_model_alias(name, "challenger")
    with pytest.raises(MlflowException) as info:
        client.get_model_version_by_alias(name, "challenger")
    assert _error_code(info.value) == UNKNOWN_ALIAS
    for reserved in ("latest", "v1"):
        with pytest.raises(MlflowException) as info:
            client.set_registered_model_alias(name, reserved, "1")
        assert _error_code(info.value) == "INVALID_PARAMETER_VALUE"
    # Deleting a version drops its alias.
    client.delete_model_version(name, "2")
    with pytest.raises(MlflowException):
        client.get_model_version_by_alias(name, "champion")


@pytest.mark.slow
def test_stage_transitions_archive_existing_versions(client, registered):
    name, _ = registered
    client.transition_model_version_stage(name, "1", "Production")
    client.transition_model_version_stage(name, "2", "staging")
    mv = client.transition_model_version_stage(name, "3", "Production", archive_existing_versions=True)
    assert mv.current_stage == "Production"
    assert client.get_model_version(name, "1").current_stage == "Archived"
    assert client.get_model_version(name, "2").current_stage == "Staging"
    latest = {v.current_stage: v.version for v in client.get_latest_versions(name)}
    assert latest == {"Archived": "1", "Staging": "2", "Production": "3"}
    assert [v.version for v in client.get_latest_versions(name, stages=["Production"])] == ["3"]
    with pytest.raises(MlflowException):
        client.transition_model_version_stage(name, "1", "Archived", archive_existing_versions=True)


@pytest.mark.slow
def test_search_with_filters_order_and_pages(client, trained):
    prefix = unique_name("search")
    for suffix, tier in (("b", "gold"), ("a", "gold"), ("c", "bronze")):
        client.create_registered_model(f"{prefix}-{suffix}", tags={"tier": tier})
    found = client.search_registered_models(filter_string=f"name LIKE '{prefix}-%'")
    assert [m.name[-1] for m in found] == ["a", "b", "c"]
    gold = client.search_registered_models(filter_string=f"name LIKE '{prefix}-%' AND tags.tier = 'gold'")
    assert [m.name[-1] for m in gold] == ["a", "b"]
    first = client.search_registered_models(filter_string=f"name LIKE '{prefix}-%'", order_by=["name DESC"], max_results=2)
    assert [m.name[-1] for m in first] == ["c", "b"] and first.token
    second = client.search_registered_models(
        filter_string=f"name LIKE '{prefix}-%'", order_by=["name DESC"], max_results=2, page_token=first.token
    )
    assert [m.name[-1] for m in second] == ["a"] and not second.token

    name = f"{prefix}-a"
    for _ in range(3):
        client.create_model_version(name, f"runs:/{trained['run_id']}/model", run_id=trained["run_id"])
    versions = client.search_model_versions(f"name = '{name}'")
    assert [v.version for v in versions] == ["3", "2", "1"]
    by_run = client.search_model_versions(f"run_id = '{trained['run_id']}' AND name = '{name}'", order_by=["version_number ASC"])
    assert [v.version for v in by_run] == ["1", "2", "3"]
    page = client.search_model_versions(f"name = '{name}'", max_results=2)
    assert len(page) == 2 and page.token


@pytest.mark.slow
def test_rename_keeps_versions_and_aliases(client, registered):
    name, _ = registered
    client.set_registered_model_alias(name, "champion", "3")
    new_name = unique_name("renamed")
    client.rename_registered_model(name, new_name)
    assert client.get_model_version(new_name, "3").name == new_name
    assert client.get_model_version_by_alias(new_name, "champion").version == "3"
    with pytest.raises(MlflowException) as info:
        client.get_registered_model(name)
    assert _error_code(info.value) == "RESOURCE_DOES_NOT_EXIST"


@pytest.mark.slow
def test_delete_version_and_model(client, registered):
    name, _ = registered
    client.delete_model_version(name, "1")
    with pytest.raises(MlflowException):
        client.get_model_version(name, "1")
    client.update_registered_model(name, description="going away")
    assert client.get_registered_model(name).description == "going away"
    client.delete_registered_model(name)
    with pytest.raises(MlflowException) as info:
        client.get_registered_model(name)
    assert _error_code(info.value) == "RESOURCE_DOES_NOT_EXIST"


@pytest.mark.slow
def test_duplicate_registered_model_is_resource_already_exists(client):
    name = unique_name("dup")
    client.create_registered_model(name)
    with pytest.raises(MlflowException) as info:
        client.create_registered_model(name)
    assert _error_code(info.value) == "RESOURCE_ALREADY_EXISTS"


@pytest.mark.slow
def test_pyfunc_loads_models_by_alias_version_and_stage(client, trained, registered):
    name, _ = registered
    client.set_registered_model_alias(name, "champion", "2")
    client.transition_model_version_stage(name, "1", "Production")
    for uri in (f"models:/{name}@champion", f"models:/{name}/3", f"models:/{name}/Production", f"models:/{name}/latest"):
        loaded = mlflow.pyfunc.load_model(uri)
        np.testing.assert_allclose(np.asarray(loaded.predict(trained["X"])), trained["expected"])


@pytest.mark.slow
def test_version_tags_and_description(client, registered):
    name, _ = registered
    client.set_model_version_tag(name, "1", "validated", "yes")
    client.update_model_version(name, "1", description="first")
    mv = client.get_model_version(name, "1")
    assert mv.tags == {"validated": "yes"} and mv.description == "first"
    client.delete_model_version_tag(name, "1", "validated")
    assert client.get_model_version(name, "1").tags == {}
    client.set_registered_model_tag(name, "team", "fraud")
    assert client.get_registered_model(name).tags == {"team": "fraud"}
    client.delete_registered_model_tag(name, "team")
    assert client.get_registered_model(name).tags == {}


MALICIOUS_SOURCES = [
    "/etc",
    "file:///etc/",
    "./etc",
    "~/.ssh",
    "//proc/self/root/etc",
    "file://localhost/etc/",
    "file://123.456.789.123/path",
    "mlflow-artifacts://host:9000/models/../../../",
    "mlflow-artifacts://host:9000/models/..%2f..%2fartifacts",
    "mlflow-artifacts://host:9000/models/artifact%00",
    "mlflow-artifacts:/models/%252e%252e%252f/x",
    "mlflow-artifacts:/models/..+/x",
    "mlflow-artifacts:/models/a%23/../../b",
    "http://host:9000/models/../../../",
    "https://host/api/2.0/mlflow-artifacts/artifacts/../../../",
    "s3a://b/api/2.0/mlflow-artifacts/artifacts/../../../",
    "ftp://host:8888/x/../../../",
    "dbfs:/run/artifacts/a%3f/../../../../",
    "http://h/x%23/../../../../etc",
    "https://example.com/model",
    "s3://bucket/model",
]


@pytest.mark.wharf_only
@pytest.mark.parametrize("source", MALICIOUS_SOURCES)
@pytest.mark.parametrize("as_prompt", [False, True], ids=["model", "prompt"])
def test_malicious_version_sources_are_refused(api, client, source, as_prompt):
    name = unique_name("target")
    client.create_registered_model(name)
    tags = [{"key": "mlflow.prompt.is_prompt", "value": "true"}] if as_prompt else []
    for prefix in ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow"):
        res = api.post(f"{prefix}/model-versions/create", {"name": name, "source": source, "tags": tags})
        assert res.status_code == 400, (prefix, source, res.text)
        assert res.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert client.search_model_versions(f"name = '{name}'") == []


@pytest.mark.wharf_only
def test_sources_outside_the_given_run_are_refused(api, client, trained):
    name = unique_name("target")
    client.create_registered_model(name)
    run = client.get_run(trained["run_id"])
    for source in ("/tmp", "file:///tmp", f"{run.info.artifact_uri}/../../..", "mlflow-artifacts:/0/elsewhere/artifacts"):
        res = api.post("/api/2.0/mlflow/model-versions/create", {"name": name, "source": source, "run_id": trained["run_id"]})
        assert res.status_code == 400, (source, res.text)
    ok = client.create_model_version(name, f"{run.info.artifact_uri}/model", run_id=trained["run_id"])
    assert ok.version == "1"


@pytest.mark.wharf_only
@pytest.mark.slow
def test_registry_events_record_the_client_calls(api, client, registered):
    name, _ = registered
    client.set_registered_model_alias(name, "champion", "1")
    client.set_registered_model_alias(name, "champion", "2")
    res = api.get("/api/2.0/wharf/registry/events", params={"model": name})
    assert res.status_code == 200
    events = res.json()["events"]
    assert [e["event"] for e in events] == [
        "registered_model.created", "model_version.created", "model_version.created", "model_version.created", "alias.set", "alias.set",
    ]
    assert events[-1]["data"] == {"previous_version": "1"}
    assert all(e["actor"].startswith("client:mlflow-python-client/") for e in events)
