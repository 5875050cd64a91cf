"""KServe's Python clients (InferenceRESTClient, InferenceGRPCClient) against `wharf serve`; prints JSON.

    python kserve_infer.py rest|grpc URL_OR_ADDRESS ROWS_JSON binary|typed

Sends ROWS as one FP64 [N, 10] tensor named input-0, in binary (REST: the binary tensor extension;
gRPC: raw contents) or typed (REST: JSON data; gRPC: fp64_contents). Run by the tests in a process
of its own: KServe's generated protobuf module and tritonclient's both register `inference.*` in
protobuf's default pool, so the two cannot be imported into one interpreter.
"""

import asyncio
import json
import sys

import numpy as np
from kserve import InferenceGRPCClient, InferenceRESTClient, InferInput, InferRequest, RESTConfig


async def main(kind: str, where: str, rows: list, binary: bool) -> dict:
    x = np.array(rows, dtype=np.float64)
    inp = InferInput(name="input-0", shape=list(x.shape), datatype="FP64")
    inp.set_data_from_numpy(x, binary_data=binary)
    request = InferRequest(model_name="diabetes", infer_inputs=[inp], request_id="k-1")
    if kind == "rest":
        client = InferenceRESTClient(RESTConfig(protocol="v2", retries=0))
        try:
            live = await client.is_server_live(where)
            ready = await client.is_server_ready(where) and await client.is_model_ready(where, "diabetes")
            response = await client.infer(where, request, model_name="diabetes")
        finally:
            await client.close()
    else:
        client = InferenceGRPCClient(where, use_ssl=False)
        try:
            live = await client.is_server_live()
            ready = await client.is_server_ready() and await client.is_model_ready("diabetes")
            response = await client.infer(request)
        finally:
            await client.close()
    [output] = response.outputs
    return {"live": live, "ready": ready, "id": response.id, "name": output.name, "predictions": output.as_numpy().reshape(-1).tolist()}


if __name__ == "__main__":
    kind, where, rows, mode = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
    print(json.dumps(asyncio.run(main(kind, where, rows, mode == "binary"))))
