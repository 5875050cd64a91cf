"""Model parity and round trips between Wharf and the Python ML stack (issue 4).

Standalone: no tracking server. Wharf is driven through small node scripts that import the
compiled library from <repo>/dist (build with `npx tsc -p tsconfig.json` first); the repository
root is found from this file's location.

- Trainers against scikit-learn on the shipped datasets: elastic net coefficients (1e-4 relative),
  logistic regression accuracy (1 point), histogram GBDT test rmse / roc-auc (3 %).
- A Wharf-trained model loaded with mlflow.pyfunc.load_model predicts what Wharf's runtime does.
- scikit-learn (skl2onnx) and LightGBM (onnxmltools) models saved with mlflow.onnx are served by
  Wharf's runtime with the numbers onnxruntime gives in Python.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
DIST = ROOT / "dist"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (DIST / "train" / "index.js").exists(),
    reason="needs node and a compiled Wharf (npx tsc -p tsconfig.json)",
)

FIT_SCRIPT = """
import { readFileSync } from 'node:fs'
const { readCsvFile, takeRows, trainTestSplit, trainModel, evaluateModel } = await import(process.env.WHARF_DIST + '/train/index.js')
const cfg = JSON.parse(readFileSync(0, 'utf8'))
const table = await readCsvFile(cfg.data)
let train = table, test, split
if (cfg.testSize) {
  split = trainTestSplit(table.rowCount, cfg.testSize, cfg.seed)
  train = takeRows(table, split.train)
  test = takeRows(table, split.test)
}
const m = trainModel(train, cfg.target, { algorithm: cfg.algorithm, params: cfg.params, seed: cfg.seed })
const out = { iterations: m.iterations, spec: m.spec }
if (split) Object.assign(out, { train: Array.from(split.train), test: Array.from(split.test), metrics: evaluateModel(m.spec, test, cfg.target) })
process.stdout.write(JSON.stringify(out))
"""

TRAIN_SCRIPT = """
import { readFileSync } from 'node:fs'
const { runTrain } = await import(process.env.WHARF_DIST + '/train/index.js')
const cfg = JSON.parse(readFileSync(0, 'utf8'))
const result = await runTrain({ ...cfg, log: () => {} })
process.stdout.write(JSON.stringify(result))
"""

PREDICT_SCRIPT = """
import { readFileSync } from 'node:fs'
const { loadModel } = await import(process.env.WHARF_DIST + '/models/index.js')
const cfg = JSON.parse(readFileSync(0, 'utf8'))
const model = await loadModel(cfg.dir, { backend: cfg.backend ?? 'auto' })
const rows = cfg.data.map((row) => row.map((v) => (v === null ? Number.NaN : v)))
const p = await model.predict({ columnNames: cfg.columns, data: rows })
const list = (a) => (a === undefined ? null : Array.from(a, (v) => (typeof v === 'number' && Number.isNaN(v) ? null : v)))
process.stdout.write(JSON.stringify({ backend: model.backend, task: p.task, values: list(p.values), labels: list(p.labels), probabilities: list(p.probabilities), classes: p.classes ?? null }))
"""


def run_node(script: str, payload: dict) -> dict:
    env = {"WHARF_DIST": DIST.as_uri(), "PATH": __import__("os").environ.get("PATH", "")}
    proc = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        input=json.dumps(payload), capture_output=True, text=True, env=env, timeout=300,
    )
    if proc.returncode != 0:
        raise AssertionError(f"node failed ({proc.returncode}):\n{proc.stderr}")
    return json.loads(proc.stdout)


def wharf_fit(dataset: str, target: str, algorithm: str, params=(), test_size=None, seed=42) -> dict:
    cfg = {"data": str(DATA / f"{dataset}.csv"), "target": target, "algorithm": algorithm, "params": list(params), "seed": seed}
    if test_size is not None:
        cfg["testSize"] = test_size
    return run_node(FIT_SCRIPT, cfg)


def wharf_predict(model_dir: Path, frame: pd.DataFrame, backend: str = "auto") -> dict:
    data = [[None if (isinstance(v, float) and np.isnan(v)) else (v.item() if hasattr(v, "item") else v) for v in row] for row in frame.itertuples(index=False)]
    return run_node(PREDICT_SCRIPT, {"dir": str(model_dir), "columns": list(frame.columns), "data": data, "backend": backend})


def load(dataset: str, target: str):
    frame = pd.read_csv(DATA / f"{dataset}.csv")
    return frame.drop(columns=target), frame[target].to_numpy()


# ---------------------------------------------------------------------------------------------
# Trainers against scikit-learn


@pytest.mark.parametrize("alpha,l1_ratio", [(0.001, 0.5), (0.01, 0.5), (0.1, 0.9), (0.5, 0.2), (0.05, 1.0)])
def test_elastic_net_coefficients_match_scikit_learn(alpha, l1_ratio):
    from sklearn.linear_model import ElasticNet

    X, y = load("diabetes", "progression")
    ours = wharf_fit("diabetes", "progression", "elasticnet", [f"alpha={alpha}", f"l1_ratio={l1_ratio}", "tol=1e-4"])
    theirs = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-4, max_iter=1000).fit(X.to_numpy(), y)
    coef = np.array(ours["spec"]["estimator"]["coef"])
    scale = np.max(np.abs(theirs.coef_))
    np.testing.assert_allclose(coef, theirs.coef_, rtol=1e-4, atol=1e-4 * scale)
    assert abs(ours["spec"]["estimator"]["intercept"][0] - theirs.intercept_) <= 1e-4 * abs(theirs.intercept_)


def test_standardised_elastic_net_matches_a_scaler_pipeline():
    from sklearn.linear_model import ElasticNet
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load("breast_cancer", "malignant")
    ours = wharf_fit("breast_cancer", "malignant", "elasticnet", ["alpha=0.01", "l1_ratio=0.5", "standardize=true"])
    theirs = make_pipeline(StandardScaler(), ElasticNet(alpha=0.01, l1_ratio=0.5, tol=1e-4)).fit(X.to_numpy(), y)
    coef = np.array(ours["spec"]["estimator"]["coef"])
    enet = theirs[-1]
    np.testing.assert_allclose(coef, enet.coef_, rtol=1e-4, atol=1e-4 * np.max(np.abs(enet.coef_)))


@pytest.mark.parametrize("dataset,target", [("breast_cancer", "malignant"), ("iris", "species"), ("wine", "cultivar")])
def test_logistic_regression_accuracy_is_within_one_point_of_scikit_learn(dataset, target):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load(dataset, target)
    ours = wharf_fit(dataset, target, "logistic", ["C=1.0"], test_size=0.2)
    train, test = ours["train"], ours["test"]
    theirs = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000)).fit(X.to_numpy()[train], y[train])
    reference = accuracy_score(y[test], theirs.predict(X.to_numpy()[test]))
    assert abs(ours["metrics"]["accuracy"] - reference) <= 0.01, (ours["metrics"]["accuracy"], reference)


GBDT_SETTINGS = {"learning_rate": 0.1, "max_iter": 100, "max_leaf_nodes": 31, "min_samples_leaf": 20, "l2_regularization": 0.0, "max_bins": 255}


def gbdt_params():
    return [f"{k}={v}" for k, v in GBDT_SETTINGS.items()] + ["early_stopping=false"]


@pytest.mark.parametrize("seed", [1, 42])
def test_gbdt_regression_rmse_is_within_three_percent_of_scikit_learn(seed):
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.metrics import mean_squared_error

    X, y = load("diabetes", "progression")
    ours = wharf_fit("diabetes", "progression", "gbdt", gbdt_params(), test_size=0.2, seed=seed)
    train, test = ours["train"], ours["test"]
    theirs = HistGradientBoostingRegressor(**GBDT_SETTINGS, early_stopping=False, random_state=0).fit(X.to_numpy()[train], y[train])
    reference = mean_squared_error(y[test], theirs.predict(X.to_numpy()[test])) ** 0.5
    assert abs(ours["metrics"]["rmse"] - reference) <= 0.03 * reference, (ours["metrics"]["rmse"], reference)


@pytest.mark.parametrize("dataset,target", [("breast_cancer", "malignant"), ("iris", "species"), ("wine", "cultivar")])
def test_gbdt_classification_roc_auc_is_within_three_percent_of_scikit_learn(dataset, target):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score

    X, y = load(dataset, target)
    ours = wharf_fit(dataset, target, "gbdt", gbdt_params(), test_size=0.2)
    train, test = ours["train"], ours["test"]
    theirs = HistGradientBoostingClassifier(**GBDT_SETTINGS, early_stopping=False, random_state=0).fit(X.to_numpy()[train], y[train])
    proba = theirs.predict_proba(X.to_numpy()[test])
    reference = roc_auc_score(y[test], proba[:, 1]) if proba.shape[1] == 2 else roc_auc_score(y[test], proba, multi_class="ovr", average="macro")
    assert abs(ours["metrics"]["roc_auc"] - reference) <= 0.03 * reference, (ours["metrics"]["roc_auc"], reference)


# ---------------------------------------------------------------------------------------------
# Wharf-trained models in MLflow


def train_with_wharf(tmp_path: Path, data: Path, target: str, model: str, params=()) -> Path:
    out = tmp_path / f"{model}-model"
    run_node(TRAIN_SCRIPT, {"data": str(data), "target": target, "model": model, "param": list(params), "output": str(out)})
    return out


def mixed_csv(tmp_path: Path) -> Path:
    """A table with a string column and missing numeric values, to exercise one-hot and imputation."""
    rng = np.random.default_rng(0)
    n = 300
    colour = rng.choice(["red", "green", "blue"], n)
    x1 = rng.normal(size=n)
    x2 = rng.uniform(size=n)
    y = 2 * x1 - 3 * x2 + np.select([colour == "red", colour == "green"], [1.5, -1.0], 0.0) + rng.normal(scale=0.1, size=n)
    x1[::11] = np.nan
    frame = pd.DataFrame({"x1": x1, "colour": colour, "x2": x2, "y": y})
    path = tmp_path / "mixed.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    "dataset,target,model,params",
    [
        ("diabetes", "progression", "elasticnet", ["alpha=0.01"]),
        ("diabetes", "progression", "gbdt", ["max_iter=50"]),
        ("breast_cancer", "malignant", "logistic", []),
        ("iris", "species", "gbdt", ["max_iter=30"]),
        ("mixed", "y", "ridge", ["standardize=true"]),
        ("mixed", "y", "gbdt", ["max_iter=30"]),
    ],
)
def test_a_wharf_model_predicts_the_same_in_mlflow_pyfunc_and_in_wharf(tmp_path, dataset, target, model, params):
    import mlflow.pyfunc

    if dataset == "mixed":
        data = mixed_csv(tmp_path)
        frame = pd.read_csv(data).drop(columns="y")
    else:
        data = DATA / f"{dataset}.csv"
        frame = pd.read_csv(data).drop(columns=target)
    model_dir = train_with_wharf(tmp_path, data, target, model, params)
    frame = frame.iloc[:40]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pyfunc = mlflow.pyfunc.load_model(str(model_dir))
        # mlflow.onnx hands `Series.values` to onnxruntime, which accepts numpy object arrays but
        # not pandas 3's default string arrays: string columns go in as object dtype.
        theirs = pyfunc.predict(frame.astype({c: object for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])}))
    for backend in ("onnxruntime", "native"):
        ours = wharf_predict(model_dir, frame, backend)
        assert ours["backend"] == backend
        if ours["task"] == "regression":
            np.testing.assert_allclose(np.array(ours["values"], dtype=float), theirs["prediction"].to_numpy(), rtol=1e-5, atol=1e-5)
        else:
            assert list(theirs["label"]) == ours["labels"]
            k = len(ours["classes"])
            probabilities = np.array(ours["probabilities"]).reshape(-1, k)
            for j, c in enumerate(ours["classes"]):
                np.testing.assert_allclose(probabilities[:, j], theirs[f"probability_{c}"].to_numpy(), rtol=1e-5, atol=1e-7)


def test_mlflow_reads_the_signature_and_input_example_of_a_wharf_model(tmp_path):
    from mlflow.models import Model

    model_dir = train_with_wharf(tmp_path, DATA / "iris.csv", "species", "logistic")
    meta = Model.load(str(model_dir))
    assert [c.name for c in meta.signature.inputs.inputs] == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    assert meta.signature.outputs.input_names()[0] == "label"
    example = meta.load_input_example(str(model_dir))
    assert list(example.columns) == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    assert isinstance(meta.utc_time_created, str)


# ---------------------------------------------------------------------------------------------
# Models from Python served by Wharf


def save_onnx_with_mlflow(onnx_model, path: Path, frame: pd.DataFrame):
    import mlflow.onnx
    from mlflow.models import infer_signature

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlflow.onnx.save_model(onnx_model, str(path), signature=infer_signature(frame), input_example=frame.iloc[:3])


def onnxruntime_outputs(path: Path, frame: pd.DataFrame) -> dict:
    import onnxruntime as rt

    session = rt.InferenceSession(str(path / "model.onnx"), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return dict(zip([o.name for o in session.get_outputs()], session.run(None, {name: frame.to_numpy().astype(np.float32)})))


def test_a_scikit_learn_classifier_converted_with_skl2onnx_is_served_by_wharf(tmp_path):
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load("iris", "species")
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X.to_numpy(), y)
    onx = convert_sklearn(pipeline, initial_types=[("input", FloatTensorType([None, 4]))], options={id(pipeline[-1]): {"zipmap": False}})
    path = tmp_path / "sklearn-logistic"
    save_onnx_with_mlflow(onx, path, X)
    reference = onnxruntime_outputs(path, X)
    ours = wharf_predict(path, X)
    assert ours["backend"] == "onnxruntime"
    assert ours["labels"] == reference["label"].tolist()
    np.testing.assert_allclose(np.array(ours["probabilities"]).reshape(-1, 3), reference["probabilities"], rtol=1e-5, atol=1e-6)


def test_a_scikit_learn_classifier_with_zipmap_output_still_gives_labels_in_wharf(tmp_path):
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.ensemble import RandomForestClassifier

    X, y = load("wine", "cultivar")
    forest = RandomForestClassifier(n_estimators=20, max_depth=4, random_state=0).fit(X.to_numpy(), y)
    onx = convert_sklearn(forest, initial_types=[("input", FloatTensorType([None, X.shape[1]]))])
    path = tmp_path / "sklearn-forest"
    save_onnx_with_mlflow(onx, path, X)
    reference = onnxruntime_outputs(path, X)
    ours = wharf_predict(path, X)
    assert ours["labels"] == reference["output_label"].tolist()


def test_a_scikit_learn_regressor_converted_with_skl2onnx_is_served_by_wharf(tmp_path):
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.ensemble import GradientBoostingRegressor

    X, y = load("diabetes", "progression")
    model = GradientBoostingRegressor(n_estimators=50, random_state=0).fit(X.to_numpy(), y)
    onx = convert_sklearn(model, initial_types=[("input", FloatTensorType([None, X.shape[1]]))])
    path = tmp_path / "sklearn-gbr"
    save_onnx_with_mlflow(onx, path, X)
    reference = onnxruntime_outputs(path, X)
    ours = wharf_predict(path, X)
    assert ours["task"] == "regression"
    np.testing.assert_allclose(np.array(ours["values"]), reference["variable"].reshape(-1), rtol=1e-5)


def test_a_lightgbm_classifier_converted_with_onnxmltools_is_served_by_wharf(tmp_path):
    import lightgbm
    from onnxmltools import convert_lightgbm
    from onnxmltools.convert.common.data_types import FloatTensorType

    X, y = load("breast_cancer", "malignant")
    model = lightgbm.LGBMClassifier(n_estimators=40, num_leaves=15, verbose=-1).fit(X.to_numpy(), y)
    onx = convert_lightgbm(model, initial_types=[("input", FloatTensorType([None, X.shape[1]]))], zipmap=False)
    path = tmp_path / "lightgbm-classifier"
    save_onnx_with_mlflow(onx, path, X)
    reference = onnxruntime_outputs(path, X)
    ours = wharf_predict(path, X)
    assert ours["labels"] == reference["label"].tolist()
    np.testing.assert_allclose(np.array(ours["probabilities"]).reshape(-1, 2), reference["probabilities"], rtol=1e-5, atol=1e-6)


def test_a_lightgbm_regressor_converted_with_onnxmltools_is_served_by_wharf(tmp_path):
    import lightgbm
    from onnxmltools import convert_lightgbm
    from onnxmltools.convert.common.data_types import FloatTensorType

    X, y = load("diabetes", "progression")
    model = lightgbm.LGBMRegressor(n_estimators=40, num_leaves=15, verbose=-1).fit(X.to_numpy(), y)
    onx = convert_lightgbm(model, initial_types=[("input", FloatTensorType([None, X.shape[1]]))])
    path = tmp_path / "lightgbm-regressor"
    save_onnx_with_mlflow(onx, path, X)
    reference = onnxruntime_outputs(path, X)
    ours = wharf_predict(path, X)
    assert ours["task"] == "regression"
    np.testing.assert_allclose(np.array(ours["values"]), next(iter(reference.values())).reshape(-1), rtol=1e-5)


def test_a_scikit_learn_model_without_onnx_is_refused_by_the_onnx_loader_with_the_flavors_named(tmp_path):
    import mlflow.sklearn
    from sklearn.linear_model import LinearRegression

    X, y = load("diabetes", "progression")
    path = tmp_path / "sklearn-pickle"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlflow.sklearn.save_model(LinearRegression().fit(X, y), str(path))
    with pytest.raises(AssertionError, match=r"model has no onnx flavor \(flavors: python_function, sklearn\); serve it through a Python worker with --python-env"):
        wharf_predict(path, X.iloc[:2])
