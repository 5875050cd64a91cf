"""Fixtures for the serving suite: a model trained by `wharf train` and a `wharf serve` started on it.

Nothing is specific to a machine: the repository is found from this file, the server binds a free
loopback port (port 0, read back from its ready line) and is stopped after the session.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
WHARF = ["node", str(REPO_ROOT / "bin" / "wharf.js")]
DIABETES = REPO_ROOT / "data" / "diabetes.csv"
COLUMNS = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]


@dataclass
class Served:
    url: str
    model_name: str
    process: subprocess.Popen

    @property
    def host_port(self) -> str:
        return self.url.removeprefix("http://")

    def invocations(self, rows: list[list[float]]) -> list[float]:
        """The reference: the MLflow scoring protocol's answer for the same rows."""
        res = requests.post(
            f"{self.url}/invocations",
            json={"dataframe_split": {"columns": COLUMNS, "data": rows}},
            timeout=30,
        )
        assert res.status_code == 200, res.text
        return res.json()["predictions"]


def start_serve(args: list[str], timeout_s: float = 30.0) -> tuple[subprocess.Popen, dict[str, str]]:
    """Starts `wharf serve` and waits for its ready line; returns the process and the URLs it printed."""
    proc = subprocess.Popen(WHARF + ["serve", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    found: dict[str, str] = {}
    ready = threading.Event()
    err: list[str] = []

    def read_stdout() -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            for key, url in re.findall(r"(?:(gRPC) )?(?:at|on) (\S+:\d+)", line):
                found["grpc" if key else "http"] = url
            if "http" in found:
                ready.set()
        ready.set()

    threading.Thread(target=read_stdout, daemon=True).start()
    threading.Thread(target=lambda: err.extend(proc.stderr), daemon=True).start()  # type: ignore[arg-type]
    if not ready.wait(timeout_s) or "http" not in found:
        proc.kill()
        raise RuntimeError(f"wharf serve did not start: {''.join(err)}")
    return proc, found


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An elastic net trained by the built-in trainer (an MLflow model with an onnx flavor)."""
    out = tmp_path_factory.mktemp("model") / "diabetes"
    done = subprocess.run(
        WHARF + ["train", "--data", str(DIABETES), "--target", "progression", "--model", "elasticnet", "--output", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="session")
def served(model_dir: Path):
    proc, urls = start_serve(["--model-uri", str(model_dir), "--model-name", "diabetes", "--port", "0"])
    yield Served(url=urls["http"], model_name="diabetes", process=proc)
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture
def rows() -> list[list[float]]:
    """Plausible feature rows (the data's range), deterministic."""
    seed = 7
    out = []
    for _ in range(5):
        row = []
        for _ in COLUMNS:
            seed = (seed * 1103515245 + 12345) % 2147483648
            row.append(round((seed / 2147483648 - 0.5) * 0.2, 6))
        out.append(row)
    return out


def kserve_client_infer(kind: str, where: str, rows: list[list[float]], mode: str) -> dict:
    """Runs kserve_infer.py (KServe's own client) in a process of its own and returns its answer."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).parent / "kserve_infer.py"), kind, where, json.dumps(rows), mode],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["live"] is True and answer["ready"] is True
    assert answer["id"] == "k-1" and answer["name"] == "prediction"
    return answer
