"""Logging a scikit-learn model and loading it back (2.x: runs/log-model; 3.x: logged models)."""

import json
from pathlib import Path

import mlflow
import mlflow.pyfunc
import mlflow.sklearn
import numpy as np
import pandas as pd
import pytest
from mlflow.models import infer_signature

from conftest import MLFLOW_MAJOR, log_sklearn_model

pytestmark = pytest.mark.slow


def _data():
    rng = np.random.default_rng(7)
    X = pd.DataFrame(rng.normal(size=(60, 4)), columns=["f0", "f1", "f2", "f3"])
    y_reg = X["f0"] * 2.0 - X["f1"] + 0.5 * X["f2"] + rng.normal(scale=0.01, size=60)
    y_cls = (X["f0"] + X["f3"] > 0).astype(int)
    return X, y_reg, y_cls


def test_log_and_load_sklearn_regressor(client, experiment_id, tmp_path):
    from sklearn.linear_model import LinearRegression

    X, y, _ = _data()
    model = LinearRegression().fit(X, y)
    expected = model.predict(X)
    with mlflow.start_run() as run:
        mlflow.log_param("fit_intercept", model.fit_intercept)
        info = log_sklearn_model(model, "model", signature=infer_signature(X, expected),
                                 input_example=X.head(3))
    run_id = run.info.run_id

    loaded = mlflow.pyfunc.load_model(info.model_uri)
    got = np.asarray(loaded.predict(X))
    # pyfunc's schema enforcement may copy/reorder the input: equal up to float rounding
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    # signature survives the round trip
    schema = loaded.metadata.get_input_schema()
    assert schema is not None and schema.input_names() == ["f0", "f1", "f2", "f3"]

    # the native flavour loads too
    native = mlflow.sklearn.load_model(info.model_uri)
    np.testing.assert_array_equal(native.predict(X), expected)
    np.testing.assert_array_equal(native.coef_, model.coef_)

    # runs:/<run>/model works on both versions (3.x resolves it through the logged model)
    by_run = mlflow.pyfunc.load_model(f"runs:/{run_id}/model")
    np.testing.assert_allclose(np.asarray(by_run.predict(X)), expected, rtol=1e-12, atol=1e-12)

    # the model files are downloadable and MLmodel names the sklearn flavour
    dst = tmp_path / "dl"
    dst.mkdir()
    local = Path(mlflow.artifacts.download_artifacts(artifact_uri=info.model_uri, dst_path=str(dst)))
    mlmodel = (local / "MLmodel").read_text()
    assert "sklearn:" in mlmodel and "python_function:" in mlmodel


def test_log_and_load_sklearn_classifier_pipeline(client, experiment_id):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, _, y = _data()
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    expected = model.predict(X)
    expected_proba = model.predict_proba(X)
    with mlflow.start_run():
        info = log_sklearn_model(model, "clf")
    loaded = mlflow.pyfunc.load_model(info.model_uri)
    np.testing.assert_array_equal(np.asarray(loaded.predict(X)), expected)
    native = mlflow.sklearn.load_model(info.model_uri)
    np.testing.assert_array_equal(native.predict_proba(X), expected_proba)


@pytest.mark.skipif(MLFLOW_MAJOR >= 3, reason="2.x records models in the run (runs/log-model)")
def test_mlflow2_model_recorded_in_run(client, experiment_id):
    from sklearn.linear_model import LinearRegression

    X, y, _ = _data()
    with mlflow.start_run() as run:
        info = log_sklearn_model(LinearRegression().fit(X, y), "model")
    run_id = run.info.run_id
    assert info.model_uri == f"runs:/{run_id}/model"
    files = {f.path for f in client.list_artifacts(run_id, "model")}
    assert "model/MLmodel" in files
    assert any(p.startswith("model/model.") for p in files), files
    history = json.loads(client.get_run(run_id).data.tags["mlflow.log-model.history"])
    assert len(history) == 1
    assert history[0]["artifact_path"] == "model"
    assert history[0]["run_id"] == run_id
    assert "sklearn" in history[0]["flavors"]


@pytest.mark.skipif(MLFLOW_MAJOR < 3, reason="logged models are a 3.x feature")
def test_mlflow3_logged_model_entity(client, experiment_id):
    from sklearn.linear_model import LinearRegression

    X, y, _ = _data()
    with mlflow.start_run() as run:
        mlflow.log_params({"alpha": "1", "solver": "auto"})
        info = log_sklearn_model(LinearRegression().fit(X, y), "my-model")
        mlflow.log_metric("rmse", 0.25, step=3, model_id=info.model_id)
    run_id = run.info.run_id
    model_id = info.model_id
    assert model_id.startswith("m-")
    assert info.model_uri == f"models:/{model_id}"

    lm = client.get_logged_model(model_id)
    assert lm.model_id == model_id
    assert lm.name == "my-model"
    assert lm.experiment_id == experiment_id
    assert lm.source_run_id == run_id
    from mlflow.entities import LoggedModelStatus

    assert lm.status == LoggedModelStatus.READY
    assert lm.artifact_location.startswith("mlflow-artifacts:/"), lm.artifact_location
    assert f"/models/{model_id}/artifacts" in lm.artifact_location
    # the run's params are attached to the model; metrics logged with model_id are linked to it
    assert lm.params.get("alpha") == "1" and lm.params.get("solver") == "auto"
    assert [(m.key, m.value, m.step) for m in lm.metrics] == [("rmse", 0.25, 3)]
    assert [(m.value, m.step) for m in client.get_metric_history(run_id, "rmse")] == [(0.25, 3)]

    found = client.search_logged_models(experiment_ids=[experiment_id])
    assert model_id in [m.model_id for m in found]
    by_name = client.search_logged_models(experiment_ids=[experiment_id], filter_string="name = 'my-model'")
    assert [m.model_id for m in by_name] == [model_id]

    # the run lists the model among its outputs
    outputs = client.get_run(run_id).outputs
    assert outputs is not None
    assert model_id in [m.model_id for m in outputs.model_outputs]

    # logged model tags
    client.set_logged_model_tags(model_id, {"stage": "candidate"})
    assert client.get_logged_model(model_id).tags.get("stage") == "candidate"
    client.delete_logged_model_tag(model_id, "stage")
    assert "stage" not in client.get_logged_model(model_id).tags

    loaded = mlflow.pyfunc.load_model(f"models:/{model_id}")
    assert loaded.metadata.model_id == model_id


@pytest.mark.skipif(MLFLOW_MAJOR < 3, reason="3.x logs models without an active run")
def test_mlflow3_log_model_without_run(client, experiment_id):
    from sklearn.linear_model import LinearRegression

    X, y, _ = _data()
    model = LinearRegression().fit(X, y)
    info = log_sklearn_model(model, "runless")
    lm = client.get_logged_model(info.model_id)
    assert lm.source_run_id in (None, "")
    assert lm.experiment_id == experiment_id
    loaded = mlflow.pyfunc.load_model(info.model_uri)
    np.testing.assert_allclose(np.asarray(loaded.predict(X)), model.predict(X), rtol=1e-12, atol=1e-12)


@pytest.mark.skipif(MLFLOW_MAJOR < 3, reason="logged models are a 3.x feature")
def test_mlflow3_logged_model_client_lifecycle(client, experiment_id):
    from mlflow.entities import LoggedModelStatus
    from mlflow.exceptions import MlflowException

    lm = client.create_logged_model(
        experiment_id, name="manual", params={"a": "1"}, tags={"t": "x"}, model_type="demo"
    )
    model_id = lm.model_id
    assert lm.status == LoggedModelStatus.PENDING
    client.log_model_params(model_id, {f"p{i}": str(i) for i in range(150)})  # > one batch of 100
    done = client.finalize_logged_model(model_id, LoggedModelStatus.READY)
    assert done.status == LoggedModelStatus.READY
    got = client.get_logged_model(model_id)
    assert got.name == "manual" and got.model_type == "demo"
    assert got.tags.get("t") == "x"
    assert got.params.get("a") == "1"
    assert all(got.params.get(f"p{i}") == str(i) for i in range(150))

    other = client.create_logged_model(experiment_id, name="other")
    client.finalize_logged_model(other.model_id, LoggedModelStatus.FAILED)
    manual = client.search_logged_models(
        experiment_ids=[experiment_id], filter_string="name = 'manual'"
    )
    assert [m.model_id for m in manual] == [model_id]
    assert client.get_logged_model(other.model_id).status == LoggedModelStatus.FAILED
    page = client.search_logged_models(experiment_ids=[experiment_id], max_results=1)
    assert len(page) == 1 and page.token
    rest = client.search_logged_models(experiment_ids=[experiment_id], max_results=1, page_token=page.token)
    assert {page[0].model_id, rest[0].model_id} == {model_id, other.model_id}

    client.delete_logged_model(model_id)
    with pytest.raises(MlflowException) as exc:
        client.get_logged_model(model_id)
    assert exc.value.error_code == "RESOURCE_DOES_NOT_EXIST"
