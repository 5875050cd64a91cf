"""Artifacts through the artifact proxy: log, list, download, nested folders, empty and big files."""

import hashlib
import json
import os
from pathlib import Path

import mlflow
import mlflow.artifacts
import pytest
import yaml

from conftest import copy_tree_is_identical, raw_http


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _listing(client, run_id, path=None):
    # an empty file's size 0 may arrive omitted (protobuf default) and read back as None
    return {
        (f.path, f.is_dir, None if f.is_dir else (f.file_size or 0))
        for f in client.list_artifacts(run_id, path)
    }


def test_log_artifact_list_and_download(client, experiment_id, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "hello.txt").write_text("hello wharf\n")
    (src / "data.bin").write_bytes(bytes(range(256)) * 4)
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(src / "hello.txt"))
        mlflow.log_artifact(str(src / "data.bin"), artifact_path="deep/er/still")
    run_id = run.info.run_id

    assert _listing(client, run_id) == {("hello.txt", False, 12), ("deep", True, None)}
    assert _listing(client, run_id, "deep") == {("deep/er", True, None)}
    assert _listing(client, run_id, "deep/er") == {("deep/er/still", True, None)}
    assert _listing(client, run_id, "deep/er/still") == {("deep/er/still/data.bin", False, 1024)}

    dst = tmp_path / "dst"
    dst.mkdir()
    local = client.download_artifacts(run_id, "hello.txt", str(dst))
    assert Path(local).read_text() == "hello wharf\n"
    local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="deep/er/still/data.bin",
                                                dst_path=str(dst))
    assert Path(local).read_bytes() == (src / "data.bin").read_bytes()


def test_log_artifacts_nested_folder_tree(client, experiment_id, tmp_path):
    tree = tmp_path / "tree"
    files = {
        "top.txt": b"top",
        "a/one.json": json.dumps({"x": 1}).encode(),
        "a/b/two.csv": b"c1,c2\n1,2\n",
        "a/b/c/d/three.bin": os.urandom(4096),
        "other/empty.txt": b"",
        "other/with space ü.txt": "ünïcödé name".encode(),
        "a..b/....": b"dots are fine when not a whole .. segment",
    }
    for rel, data in files.items():
        p = tree / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(tree), artifact_path="bundle")
    run_id = run.info.run_id

    assert _listing(client, run_id) == {("bundle", True, None)}
    assert _listing(client, run_id, "bundle") == {
        ("bundle/top.txt", False, 3),
        ("bundle/a", True, None),
        ("bundle/other", True, None),
        ("bundle/a..b", True, None),
    }
    assert _listing(client, run_id, "bundle/a/b") == {
        ("bundle/a/b/two.csv", False, len(files["a/b/two.csv"])),
        ("bundle/a/b/c", True, None),
    }
    assert _listing(client, run_id, "bundle/other") == {
        ("bundle/other/empty.txt", False, 0),
        ("bundle/other/with space ü.txt", False, len(files["other/with space ü.txt"])),
    }

    dst = tmp_path / "download"
    dst.mkdir()
    local = client.download_artifacts(run_id, "bundle", str(dst))
    assert copy_tree_is_identical(tree, Path(local))
    for rel, data in files.items():
        assert (Path(local) / rel).read_bytes() == data, rel

    # whole run root
    dst2 = tmp_path / "download-all"
    dst2.mkdir()
    local = mlflow.artifacts.download_artifacts(run_id=run_id, dst_path=str(dst2))
    assert copy_tree_is_identical(tree, Path(local) / "bundle")


def test_empty_file(client, experiment_id, tmp_path):
    empty = tmp_path / "empty.dat"
    empty.write_bytes(b"")
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(empty), artifact_path="e")
    run_id = run.info.run_id
    assert _listing(client, run_id, "e") == {("e/empty.dat", False, 0)}
    dst = tmp_path / "dst"
    dst.mkdir()
    local = Path(client.download_artifacts(run_id, "e/empty.dat", str(dst)))
    assert local.exists() and local.read_bytes() == b""


@pytest.mark.slow
def test_multi_megabyte_file_byte_identical(client, experiment_id, tmp_path):
    size = 5 * 1024 * 1024 + 123  # 5 MiB and an odd tail
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(size))
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(big), artifact_path="blobs")
    run_id = run.info.run_id
    assert _listing(client, run_id, "blobs") == {("blobs/big.bin", False, size)}
    dst = tmp_path / "dst"
    dst.mkdir()
    local = Path(mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="blobs/big.bin",
                                                     dst_path=str(dst)))
    assert local.stat().st_size == size
    assert _sha(local) == _sha(big)


def test_log_dict_text_and_load(client, experiment_id, tmp_path):
    payload = {"name": "wharf", "nums": [1, 2.5, None], "nested": {"ok": True, "text": "ünï"}}
    with mlflow.start_run() as run:
        mlflow.log_dict(payload, "config/params.json")
        mlflow.log_dict(payload, "config/params.yaml")
        mlflow.log_text("line one\nline two ✓\n", "notes/readme.txt")
    run_id = run.info.run_id
    uri = run.info.artifact_uri
    assert mlflow.artifacts.load_dict(f"{uri}/config/params.json") == payload
    assert mlflow.artifacts.load_text(f"{uri}/notes/readme.txt") == "line one\nline two ✓\n"
    dst = tmp_path / "dst"
    dst.mkdir()
    local = client.download_artifacts(run_id, "config/params.yaml", str(dst))
    assert yaml.safe_load(Path(local).read_text()) == payload
    assert {f.path for f in client.list_artifacts(run_id, "config")} == {
        "config/params.json",
        "config/params.yaml",
    }
    # runs:/ URIs resolve through the tracking server too
    assert mlflow.artifacts.load_text(f"runs:/{run_id}/notes/readme.txt") == "line one\nline two ✓\n"


def test_client_log_text_and_overwrite(client, experiment_id, tmp_path):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_text(run_id, "first", "file.txt")
    client.log_text(run_id, "second version", "file.txt")
    dst = tmp_path / "dst"
    dst.mkdir()
    assert Path(client.download_artifacts(run_id, "file.txt", str(dst))).read_text() == "second version"
    assert _listing(client, run_id) == {("file.txt", False, len("second version"))}


def test_list_artifacts_of_empty_run(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    assert client.list_artifacts(run_id) == []
    assert client.list_artifacts(run_id, "no/such/dir") == []


def test_rest_artifacts_list_shape(api, client, experiment_id):
    run = client.create_run(experiment_id)
    run_id = run.info.run_id
    client.log_text(run_id, "abc", "dir/f.txt")
    client.log_text(run_id, "z", "root.txt")
    r = api.get("/api/2.0/mlflow/artifacts/list", {"run_id": run_id})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["root_uri"] == run.info.artifact_uri
    files = {(f["path"], f["is_dir"]) for f in body["files"]}
    assert files == {("dir", True), ("root.txt", False)}
    sizes = {f["path"]: f.get("file_size") for f in body["files"]}
    assert int(sizes["root.txt"]) == 1
    r = api.get("/api/2.0/mlflow/artifacts/list", {"run_id": run_id, "path": "dir"})
    assert r.status_code == 200, r.text
    assert [(f["path"], f["is_dir"], int(f["file_size"])) for f in r.json()["files"]] == [
        ("dir/f.txt", False, 3)
    ]


def test_artifact_proxy_raw_put_get_list_delete(wharf_server, client, experiment_id):
    run = client.create_run(experiment_id)
    # mlflow-artifacts:/<exp>/<run>/artifacts  ->  /api/2.0/mlflow-artifacts/artifacts/<exp>/<run>/artifacts
    assert run.info.artifact_uri.startswith("mlflow-artifacts:")
    rel = run.info.artifact_uri.split("mlflow-artifacts:", 1)[1].lstrip("/")
    base = "/api/2.0/mlflow-artifacts/artifacts/" + rel
    data = os.urandom(1000)
    status, _, body = raw_http(wharf_server, "PUT", base + "/raw/x.bin", data,
                               {"Content-Type": "application/octet-stream"})
    assert status == 200, body
    status, headers, body = raw_http(wharf_server, "GET", base + "/raw/x.bin")
    assert status == 200
    assert body == data
    status, _, body = raw_http(wharf_server, "GET", "/api/2.0/mlflow-artifacts/artifacts?path=" + rel + "/raw")
    assert status == 200, body
    listing = json.loads(body)
    assert [(f["path"], f["is_dir"], int(f["file_size"])) for f in listing["files"]] == [("x.bin", False, 1000)]
    assert {f.path for f in client.list_artifacts(run.info.run_id, "raw")} == {"raw/x.bin"}
    status, _, body = raw_http(wharf_server, "DELETE", base + "/raw/x.bin")
    assert status == 200, body
    assert client.list_artifacts(run.info.run_id, "raw") == []


@pytest.mark.wharf_only  # MLflow answers 500 here
def test_missing_artifact_is_404(wharf_server, client, experiment_id):
    run = client.create_run(experiment_id)
    rel = run.info.artifact_uri.split("mlflow-artifacts:", 1)[1].lstrip("/")
    status, _, body = raw_http(wharf_server, "GET", f"/api/2.0/mlflow-artifacts/artifacts/{rel}/nope.txt")
    assert status == 404, body
    assert json.loads(body)["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_listing_a_file_path_returns_no_entries(wharf_server, api, client, experiment_id):
    """MLflow lists directories only: listing a *file* answers no entries. The 2.x client relies
    on this: download_artifacts(run, "f.txt") lists "f.txt" first and, if entries come back,
    treats it as a directory and fetches "f.txt/f.txt"."""
    run = client.create_run(experiment_id)
    client.log_text(run.info.run_id, "abc", "d/f.txt")
    rel = run.info.artifact_uri.split("mlflow-artifacts:", 1)[1].lstrip("/")
    status, _, body = raw_http(wharf_server, "GET", f"/api/2.0/mlflow-artifacts/artifacts?path={rel}/d/f.txt")
    assert status == 200, body
    assert json.loads(body).get("files", []) == []
    resp = api.get("/api/2.0/mlflow/artifacts/list", {"run_id": run.info.run_id, "path": "d/f.txt"})
    assert resp.status_code == 200, resp.text
    assert resp.json().get("files", []) == []
    assert client.list_artifacts(run.info.run_id, "d/f.txt") == []
