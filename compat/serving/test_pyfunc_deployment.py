"""Native-flavor models through a registered deployment: logged with the real mlflow client, registered
in a real `wharf server`, deployed with `wharf deploy` to a local environment whose wharf.yaml entry
names the pyfunc worker's Python (`pythonEnv`, and `allowPickle` for the pickled pipeline), and asked
through the deployment's endpoint with its endpoint key. Every answer must equal
`mlflow.pyfunc.load_model(...).predict` on the same rows.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
import requests
import tritonclient.http as triton

from conftest import COLUMNS, DIABETES, WHARF

# The pyfunc worker starts Python with mlflow and the model's libraries: slow on a busy machine.
DEPLOY_TIMEOUT_S = 300


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, root: Path):
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # Two local environments: one allows pickled models, one does not. Both serve through this venv's Python.
        (root / "wharf.yaml").write_text(
            "environments:\n"
            f"  pyfunc:\n    target: local\n    pythonEnv: {json.dumps(sys.prefix)}\n    allowPickle: true\n"
            f"  nopickle:\n    target: local\n    pythonEnv: {json.dumps(sys.prefix)}\n"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WHARF_", "MLFLOW_"))}
        self.log = open(root / "server.log", "wb")
        self.process = subprocess.Popen(
            WHARF
            + ["server", "--host", "127.0.0.1", "--port", str(self.port)]
            + ["--backend-store-uri", f"sqlite:///{root / 'wharf.db'}", "--artifacts-destination", str(root / "artifacts")],
            cwd=root,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            assert self.process.poll() is None, (root / "server.log").read_text()
            time.sleep(0.1)
        raise RuntimeError(f"wharf server did not start: {(root / 'server.log').read_text()}")

    def cli(self, *args: str, timeout: float = DEPLOY_TIMEOUT_S) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WHARF_", "MLFLOW_"))}
        env["WHARF_TRACKING_URI"] = self.url
        return subprocess.run(WHARF + list(args), cwd=self.root, env=env, capture_output=True, text=True, timeout=timeout)

    def stop(self) -> None:
        # The deployments' serving processes are started detached: stop them first, then the server.
        for model in ("sk-pipeline", "xgb"):
            undeploy = {"model_name": model, "environment": "pyfunc"}
            requests.post(f"{self.url}/api/2.0/wharf/deployments/undeploy", json=undeploy, timeout=60)
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)
        self.log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("wharf-server"))
    previous = os.environ.get("MLFLOW_TRACKING_URI")
    # mlflow.set_tracking_uri also sets MLFLOW_TRACKING_URI, which the other modules' `wharf train` would inherit.
    mlflow.set_tracking_uri(s.url)
    yield s
    s.stop()
    if previous is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    else:
        mlflow.set_tracking_uri(previous)


@pytest.fixture(scope="module")
def diabetes() -> pd.DataFrame:
    return pd.read_csv(DIABETES)


def log_and_register(name: str, log) -> str:
    """Logs a model in a run with the real client and registers it; returns the version."""
    mlflow.set_experiment("pyfunc-deployments")
    with mlflow.start_run():
        info = log()
    return mlflow.register_model(info.model_uri, name).version


def deploy(server: Server, model: str, version: str, env: str) -> subprocess.CompletedProcess:
    return server.cli("deploy", model, "--version", str(version), "--env", env, "--json")


def endpoint_of(server: Server, model: str, env: str, deployed: subprocess.CompletedProcess) -> tuple[str, str]:
    assert deployed.returncode == 0, deployed.stderr + deployed.stdout
    url = json.loads(deployed.stdout)["endpoint"]["url"]
    keys = server.cli("endpoint", "keys", "show", model, "--env", env, "--json", timeout=60)
    assert keys.returncode == 0, keys.stderr
    return url, json.loads(keys.stdout)["primary_key"]


def check_through_endpoint(url: str, key: str, model_uri: str, rows: pd.DataFrame) -> None:
    expected = np.asarray(mlflow.pyfunc.load_model(model_uri).predict(rows)).reshape(-1)
    auth = {"Authorization": f"Bearer {key}"}
    assert requests.post(f"{url}/invocations", json={"dataframe_split": rows.to_dict(orient="split")}, timeout=60).status_code == 401
    split = requests.post(f"{url}/invocations", json={"dataframe_split": rows.to_dict(orient="split")}, headers=auth, timeout=60)
    assert split.status_code == 200, split.text
    np.testing.assert_array_equal(np.array(split.json()["predictions"], dtype=np.float64), expected.astype(np.float64))
    client = triton.InferenceServerClient(url=url.removeprefix("http://"))
    inp = triton.InferInput("input-0", list(rows.shape), "FP64")
    inp.set_data_from_numpy(rows.to_numpy(dtype=np.float64))
    models = requests.get(f"{url}/v1/models", headers=auth, timeout=30).json()["models"]
    got = client.infer(models[0], [inp], headers=auth).as_numpy("prediction").reshape(-1)
    np.testing.assert_array_equal(got, expected)


def test_sklearn_pipeline_through_a_deployment_equals_pyfunc(server, diabetes):
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = diabetes[COLUMNS], diabetes["progression"]
    pipeline = make_pipeline(StandardScaler(), Ridge(alpha=0.5)).fit(x, y)
    # cloudpickle, as MLflow 2.x always saved scikit-learn models: the environment must allow pickles.
    version = log_and_register(
        "sk-pipeline", lambda: mlflow.sklearn.log_model(pipeline, name="model", input_example=x.head(3), serialization_format="cloudpickle")
    )
    url, key = endpoint_of(server, "sk-pipeline", "pyfunc", deploy(server, "sk-pipeline", version, "pyfunc"))
    check_through_endpoint(url, key, f"models:/sk-pipeline/{version}", x.sample(7, random_state=3).reset_index(drop=True))


def test_xgboost_model_through_a_deployment_equals_pyfunc(server, diabetes):
    import xgboost as xgb

    x, y = diabetes[COLUMNS], diabetes["progression"]
    model = xgb.XGBRegressor(n_estimators=20, max_depth=3, random_state=0).fit(x, y)
    version = log_and_register("xgb", lambda: mlflow.xgboost.log_model(model, name="model", input_example=x.head(3)))
    url, key = endpoint_of(server, "xgb", "pyfunc", deploy(server, "xgb", version, "pyfunc"))
    check_through_endpoint(url, key, f"models:/xgb/{version}", x.sample(9, random_state=5).reset_index(drop=True))


def test_pickled_pipeline_is_refused_where_the_environment_does_not_allow_pickles(server, diabetes):
    from sklearn.linear_model import Ridge

    x, y = diabetes[COLUMNS], diabetes["progression"]
    version = log_and_register("sk-refused", lambda: mlflow.sklearn.log_model(Ridge().fit(x, y), name="model", input_example=x.head(3), serialization_format="cloudpickle")
    )
    deployed = deploy(server, "sk-refused", version, "nopickle")
    assert deployed.returncode != 0
    # The refusal itself, not the readiness wait running out: the supervisor does not restart a refused model.
    assert "was refused by its serving process" in deployed.stderr, deployed.stderr
    assert "model flavor sklearn (serialization_format cloudpickle) loads by unpickling" in deployed.stderr
    assert "allowPickle" in deployed.stderr
