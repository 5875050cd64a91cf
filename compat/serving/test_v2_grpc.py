"""KServe V2 over gRPC (inference.GRPCInferenceService) with tritonclient[grpc] and KServe's InferenceGRPCClient.

`wharf serve --grpc-port 0` serves the same model over both; every prediction is compared with
`/invocations` for the same rows. A second server has an endpoint key, checked through metadata.
"""

from __future__ import annotations


import numpy as np
import pytest
import tritonclient.grpc as triton
from tritonclient.utils import InferenceServerException

from conftest import COLUMNS, Served, kserve_client_infer, start_serve

KEY = "serving-suite-key-0123456789"


@pytest.fixture(scope="module")
def served_grpc(model_dir):
    proc, urls = start_serve(["--model-uri", str(model_dir), "--model-name", "diabetes", "--port", "0", "--grpc-port", "0"])
    assert "grpc" in urls, urls
    yield Served(url=urls["http"], model_name="diabetes", process=proc), urls["grpc"]
    proc.terminate()
    proc.wait(timeout=30)


def test_health_and_metadata_over_grpc(served_grpc):
    _, address = served_grpc
    client = triton.InferenceServerClient(url=address)
    assert client.is_server_live()
    assert client.is_server_ready()
    assert client.is_model_ready("diabetes")
    assert not client.is_model_ready("another-model")
    meta = client.get_model_metadata("diabetes", as_json=True)
    assert meta["name"] == "diabetes"
    assert [i["name"] for i in meta["inputs"]] == COLUMNS
    assert meta["outputs"] == [{"name": "prediction", "datatype": "FP64", "shape": ["-1"]}]
    assert client.get_server_metadata(as_json=True)["name"] == "wharf"


@pytest.mark.parametrize("dtype,datatype", [(np.float64, "FP64"), (np.float32, "FP32"), (np.float16, "FP16")])
def test_tritonclient_grpc_raw_contents_equal_invocations(served_grpc, rows, dtype, datatype):
    served, address = served_grpc
    x = np.array(rows).astype(dtype)
    inp = triton.InferInput("input-0", list(x.shape), datatype)
    inp.set_data_from_numpy(x)
    result = triton.InferenceServerClient(url=address).infer("diabetes", [inp], request_id="g-1")
    assert result.get_response().id == "g-1"
    got = result.as_numpy("prediction")
    assert got.shape == (len(rows), 1)
    np.testing.assert_array_equal(got.reshape(-1), np.array(served.invocations(x.astype(np.float64).tolist())))


def test_tritonclient_grpc_one_tensor_per_column(served_grpc, rows):
    served, address = served_grpc
    x = np.array(rows, dtype=np.float64)
    inputs = []
    for j, name in enumerate(COLUMNS):
        inp = triton.InferInput(name, [len(rows)], "FP64")
        inp.set_data_from_numpy(np.ascontiguousarray(x[:, j]))
        inputs.append(inp)
    out = [triton.InferRequestedOutput("prediction")]
    got = triton.InferenceServerClient(url=address).infer("diabetes", inputs, outputs=out).as_numpy("prediction")
    np.testing.assert_array_equal(got.reshape(-1), np.array(served.invocations(rows)))


def test_tritonclient_grpc_errors(served_grpc, rows):
    _, address = served_grpc
    client = triton.InferenceServerClient(url=address)
    x = np.array(rows) > 0
    inp = triton.InferInput("input-0", list(x.shape), "BOOL")
    inp.set_data_from_numpy(x)
    with pytest.raises(InferenceServerException, match="is BOOL, but column 'age' takes double") as err:
        client.infer("diabetes", [inp])
    assert err.value.status() == "StatusCode.INVALID_ARGUMENT"
    y = np.array(rows, dtype=np.float64)
    inp = triton.InferInput("input-0", list(y.shape), "FP64")
    inp.set_data_from_numpy(y)
    with pytest.raises(InferenceServerException) as err:
        client.infer("another-model", [inp])
    assert err.value.status() == "StatusCode.NOT_FOUND"


@pytest.mark.parametrize("mode", ["binary", "typed"])
def test_kserve_grpc_client_equals_invocations(served_grpc, rows, mode):
    """KServe's client sends raw contents or typed contents (fp64_contents)."""
    served, address = served_grpc
    answer = kserve_client_infer("grpc", address, rows, mode)
    np.testing.assert_array_equal(np.array(answer["predictions"]), np.array(served.invocations(rows)))


def test_endpoint_key_through_metadata(model_dir, rows, tmp_path):
    keys = tmp_path / "keys"
    keys.write_text(KEY + "\n")
    proc, urls = start_serve(["--model-uri", str(model_dir), "--model-name", "diabetes", "--port", "0", "--grpc-port", "0", "--api-keys-file", str(keys)])
    try:
        client = triton.InferenceServerClient(url=urls["grpc"])
        assert client.is_server_live()  # health needs no key, as over HTTP
        x = np.array(rows, dtype=np.float64)
        inp = triton.InferInput("input-0", list(x.shape), "FP64")
        inp.set_data_from_numpy(x)
        with pytest.raises(InferenceServerException) as err:
            client.infer("diabetes", [inp])
        assert err.value.status() == "StatusCode.UNAUTHENTICATED"
        with pytest.raises(InferenceServerException):
            client.infer("diabetes", [inp], headers={"authorization": "Bearer wrong-key-000000000000"})
        got = client.infer("diabetes", [inp], headers={"authorization": f"Bearer {KEY}"}).as_numpy("prediction")
        assert got.shape == (len(rows), 1)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
