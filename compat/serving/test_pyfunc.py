"""Models logged with their native MLflow flavors (no onnx flavor), served by `wharf serve --python-env`.

A scikit-learn pipeline (sklearn flavor, a pickle: needs --allow-pickle) and an XGBoost model
(xgboost flavor, XGBoost's own format: no flag needed) are saved with MLflow, served through the
pyfunc worker, and asked over /invocations, KServe V2 (tritonclient) and V1; every answer must equal
`mlflow.pyfunc.load_model(...).predict` on the same rows.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import mlflow
import mlflow.pyfunc
import numpy as np
import pandas as pd
import pytest
import requests
import tritonclient.http as triton

from conftest import COLUMNS, DIABETES, WHARF, start_serve


@pytest.fixture(scope="module")
def diabetes() -> pd.DataFrame:
    return pd.read_csv(DIABETES)


def save_pipeline(tmp_path_factory, diabetes, serialization_format: str) -> Path:
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = diabetes[COLUMNS], diabetes["progression"]
    pipeline = make_pipeline(StandardScaler(), Ridge(alpha=0.5)).fit(x, y)
    out = tmp_path_factory.mktemp(f"sklearn-{serialization_format}") / "model"
    mlflow.sklearn.save_model(pipeline, str(out), input_example=x.head(3), serialization_format=serialization_format)
    return out


@pytest.fixture(scope="module")
def sklearn_dir(tmp_path_factory, diabetes) -> Path:
    """A pipeline saved as MLflow 2.x always saved it (and 3.x when asked): cloudpickle."""
    return save_pipeline(tmp_path_factory, diabetes, "cloudpickle")


@pytest.fixture(scope="module")
def sklearn_skops_dir(tmp_path_factory, diabetes) -> Path:
    """The same pipeline in skops, MLflow 3's default for scikit-learn, which is not a pickle."""
    return save_pipeline(tmp_path_factory, diabetes, "skops")


@pytest.fixture(scope="module")
def xgboost_dir(tmp_path_factory, diabetes) -> Path:
    import xgboost as xgb

    x, y = diabetes[COLUMNS], diabetes["progression"]
    model = xgb.XGBRegressor(n_estimators=20, max_depth=3, random_state=0).fit(x, y)
    out = tmp_path_factory.mktemp("xgboost") / "model"
    mlflow.xgboost.save_model(model, str(out), input_example=x.head(3))
    return out


def serve_pyfunc(model_dir: Path, *extra: str):
    return start_serve(["--model-uri", str(model_dir), "--model-name", "m", "--port", "0", "--python-env", sys.prefix, *extra], timeout_s=120)


def check_predictions(url: str, model_dir: Path, rows: pd.DataFrame) -> None:
    expected = np.asarray(mlflow.pyfunc.load_model(str(model_dir)).predict(rows)).reshape(-1)
    split = requests.post(f"{url}/invocations", json={"dataframe_split": rows.to_dict(orient="split")}, timeout=60)
    assert split.status_code == 200, split.text
    np.testing.assert_array_equal(np.array(split.json()["predictions"], dtype=np.float64), expected.astype(np.float64))
    records = requests.post(f"{url}/invocations", json={"dataframe_records": rows.to_dict(orient="records")}, timeout=60)
    np.testing.assert_array_equal(np.array(records.json()["predictions"], dtype=np.float64), expected.astype(np.float64))
    client = triton.InferenceServerClient(url=url.removeprefix("http://"))
    inp = triton.InferInput("input-0", list(rows.shape), "FP64")
    inp.set_data_from_numpy(rows.to_numpy(dtype=np.float64))
    got = client.infer("m", [inp]).as_numpy("prediction").reshape(-1)
    assert got.dtype == expected.dtype  # float32 from XGBoost stays FP32 on the wire
    np.testing.assert_array_equal(got, expected)
    assert client.get_model_metadata("m")["platform"] == "mlflow_pyfunc"


@pytest.fixture
def some_rows(diabetes) -> pd.DataFrame:
    return diabetes[COLUMNS].sample(7, random_state=3).reset_index(drop=True)


def test_sklearn_pipeline_is_refused_without_allow_pickle(sklearn_dir):
    done = subprocess.run(
        WHARF + ["serve", "--model-uri", str(sklearn_dir), "--port", "0", "--python-env", sys.prefix],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "model flavor sklearn (serialization_format cloudpickle) loads by unpickling" in done.stderr
    assert "--allow-pickle" in done.stderr


def test_without_python_env_the_error_says_how(xgboost_dir):
    done = subprocess.run(WHARF + ["serve", "--model-uri", str(xgboost_dir), "--port", "0"], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "model has no onnx flavor (flavors: python_function, xgboost); serve it through a Python worker with --python-env" in done.stderr


def test_sklearn_pipeline_served_with_allow_pickle_equals_pyfunc(sklearn_dir, some_rows):
    proc, urls = serve_pyfunc(sklearn_dir, "--allow-pickle")
    try:
        check_predictions(urls["http"], sklearn_dir, some_rows)
        bad = requests.post(f"{urls['http']}/invocations", json={"dataframe_split": {"columns": ["age"], "data": [[1.0]]}}, timeout=30)
        assert bad.status_code == 400
        assert "missing column 'sex'" in bad.json()["message"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_sklearn_pipeline_in_skops_needs_no_flag(sklearn_skops_dir, some_rows):
    proc, urls = serve_pyfunc(sklearn_skops_dir)
    try:
        check_predictions(urls["http"], sklearn_skops_dir, some_rows)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_xgboost_model_served_without_allow_pickle_equals_pyfunc(xgboost_dir, some_rows):
    proc, urls = serve_pyfunc(xgboost_dir)
    try:
        check_predictions(urls["http"], xgboost_dir, some_rows)
        v1 = requests.post(f"{urls['http']}/v1/models/m:predict", json={"instances": some_rows.to_numpy().tolist()}, timeout=30)
        expected = mlflow.pyfunc.load_model(str(xgboost_dir)).predict(some_rows)
        np.testing.assert_array_equal(np.array(v1.json()["predictions"], dtype=np.float32), np.asarray(expected))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
