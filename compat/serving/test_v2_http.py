"""Open Inference Protocol over HTTP with the real clients: tritonclient[http] and KServe's InferenceRESTClient.

Every prediction is compared with what `/invocations` (the MLflow scoring protocol) answers for the
same rows from the same server: the V2 path must not change a single bit of the result.
"""

from __future__ import annotations

import numpy as np
import pytest
import tritonclient.http as triton
from tritonclient.utils import InferenceServerException

from conftest import COLUMNS, kserve_client_infer


def triton_client(served) -> triton.InferenceServerClient:
    return triton.InferenceServerClient(url=served.host_port)


def test_health_metadata_and_readiness_as_tritonclient_calls_them(served):
    client = triton_client(served)
    assert client.is_server_live()
    assert client.is_server_ready()
    assert client.is_model_ready(served.model_name)
    assert not client.is_model_ready("another-model")
    server = client.get_server_metadata()
    assert server["name"] == "wharf"
    assert "binary_tensor_data" in server["extensions"]
    meta = client.get_model_metadata(served.model_name)
    assert meta["name"] == served.model_name
    assert [i["name"] for i in meta["inputs"]] == COLUMNS
    assert all(i["datatype"] == "FP64" for i in meta["inputs"])
    assert meta["outputs"] == [{"name": "prediction", "datatype": "FP64", "shape": [-1]}]


@pytest.mark.parametrize("binary_in", [True, False], ids=["binary-in", "json-in"])
@pytest.mark.parametrize("binary_out", [True, False], ids=["binary-out", "json-out"])
def test_tritonclient_matrix_equals_invocations(served, rows, binary_in, binary_out):
    x = np.array(rows, dtype=np.float64)
    inp = triton.InferInput("input-0", list(x.shape), "FP64")
    inp.set_data_from_numpy(x, binary_data=binary_in)
    out = triton.InferRequestedOutput("prediction", binary_data=binary_out)
    result = triton_client(served).infer(served.model_name, [inp], outputs=[out], request_id="r-1")
    got = result.as_numpy("prediction")
    assert got.dtype == np.float64
    assert got.shape == (len(rows), 1)
    np.testing.assert_array_equal(got.reshape(-1), np.array(served.invocations(rows)))
    assert result.get_response()["id"] == "r-1"


def test_tritonclient_default_outputs_come_back_binary(served, rows):
    """With no outputs named, tritonclient asks for every output in binary (binary_data_output)."""
    x = np.array(rows, dtype=np.float64)
    inp = triton.InferInput("input-0", list(x.shape), "FP64")
    inp.set_data_from_numpy(x)
    result = triton_client(served).infer(served.model_name, [inp])
    assert result.get_output("prediction")["parameters"]["binary_data_size"] == 8 * len(rows)
    np.testing.assert_array_equal(result.as_numpy("prediction").reshape(-1), np.array(served.invocations(rows)))


@pytest.mark.parametrize("dtype,datatype", [(np.float32, "FP32"), (np.float16, "FP16"), (np.int32, "INT32"), (np.int64, "INT64"), (np.uint8, "UINT8")])
def test_tritonclient_one_tensor_per_column_in_other_datatypes(served, rows, dtype, datatype):
    scale = 1 if np.issubdtype(dtype, np.floating) else 1000
    x = (np.array(rows) * scale).astype(dtype)
    if dtype == np.uint8:
        x = np.abs(x).astype(dtype)
    inputs = []
    for j, name in enumerate(COLUMNS):
        inp = triton.InferInput(name, [len(rows)], datatype)
        inp.set_data_from_numpy(np.ascontiguousarray(x[:, j]))
        inputs.append(inp)
    got = triton_client(served).infer(served.model_name, inputs).as_numpy("prediction").reshape(-1)
    # The same values, widened to doubles, through /invocations.
    np.testing.assert_array_equal(got, np.array(served.invocations(x.astype(np.float64).tolist())))


def test_tritonclient_gets_clear_errors(served, rows):
    client = triton_client(served)
    x = np.array(rows) > 0
    inp = triton.InferInput("input-0", list(x.shape), "BOOL")
    inp.set_data_from_numpy(x)
    with pytest.raises(InferenceServerException, match="input 'input-0' is BOOL, but column 'age' takes double"):
        client.infer(served.model_name, [inp])
    y = np.array(rows, dtype=np.float64)[:, :9]
    inp = triton.InferInput("input-0", list(y.shape), "FP64")
    inp.set_data_from_numpy(np.ascontiguousarray(y))
    with pytest.raises(InferenceServerException, match=r"must have shape \[N\] or \[N, 1\]"):
        client.infer(served.model_name, [inp])
    with pytest.raises(InferenceServerException):
        client.get_model_metadata("another-model")


@pytest.mark.parametrize("mode", ["binary", "typed"])
def test_kserve_rest_client_equals_invocations(served, rows, mode):
    answer = kserve_client_infer("rest", served.url, rows, mode)
    np.testing.assert_array_equal(np.array(answer["predictions"]), np.array(served.invocations(rows)))
