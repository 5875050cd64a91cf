/**
 * The Python side of the pyfunc worker, run as `python -c` so that nothing has to be found beside
 * dist/ (the CLI is one bundled file). Frames both ways are a 4-byte big-endian length, then UTF-8
 * JSON. The worker loads the model with `mlflow.pyfunc.load_model`, answers one ready frame, then one
 * answer per request, in order. The protocol uses a copy of the real stdout; the model's own prints
 * go to stderr. (A plain template: the Python holds no backslash; if one is ever needed, use String.raw.)
 */
export const workerSource = `
import json, math, os, struct, sys, traceback

protocol_out = os.fdopen(os.dup(1), "wb", buffering=0)
os.dup2(2, 1)
sys.stdout = sys.stderr
protocol_in = sys.stdin.buffer


def send(message):
    data = json.dumps(message, allow_nan=False).encode("utf-8")
    protocol_out.write(struct.pack(">I", len(data)) + data)


def receive():
    head = protocol_in.read(4)
    if len(head) < 4:
        return None
    (size,) = struct.unpack(">I", head)
    return json.loads(protocol_in.read(size).decode("utf-8"))


def first_line(err):
    text = "".join(traceback.format_exception_only(type(err), err)).strip()
    return text.splitlines()[-1][:500] if text else type(err).__name__


def finite(values):
    return [v if isinstance(v, float) and math.isfinite(v) else (None if isinstance(v, float) else v) for v in values]


def output(name, array):
    import numpy as np

    array = np.asarray(array)
    kind = array.dtype.kind
    if kind == "f":
        dtype = "float32" if array.dtype == np.float32 else "float64"
        data = finite(array.astype(np.float64).reshape(-1).tolist())
    elif kind in "iu":
        dtype, data = "int64", array.reshape(-1).tolist()
    elif kind == "b":
        dtype, data = "bool", array.reshape(-1).tolist()
    else:
        dtype, data = "string", [None if v is None else str(v) for v in array.reshape(-1).tolist()]
    return {"name": name, "dtype": dtype, "dims": list(array.shape), "data": data}


def outputs(prediction):
    import numpy as np
    import pandas as pd

    if isinstance(prediction, pd.DataFrame):
        return [output(str(c), prediction[c].to_numpy()) for c in prediction.columns]
    if isinstance(prediction, pd.Series):
        return [output("prediction", prediction.to_numpy())]
    if isinstance(prediction, dict):
        return [output(str(k), v) for k, v in prediction.items()]
    return [output("prediction", np.asarray(prediction))]


def model_input(request):
    import numpy as np
    import pandas as pd

    if "columns" in request:
        return pd.DataFrame({name: values for name, values in zip(request["columns"], request["values"])})
    tensors = {name: np.asarray(t["data"], dtype=t["dtype"]).reshape(t["dims"]) for name, t in request["tensors"].items()}
    return next(iter(tensors.values())) if len(tensors) == 1 else tensors


def main(model_dir):
    try:
        import mlflow
        import mlflow.pyfunc

        model = mlflow.pyfunc.load_model(model_dir)
    except BaseException as err:
        send({"error": first_line(err)})
        return
    send({"ready": True, "mlflow": mlflow.__version__, "python": sys.version.split()[0]})
    while True:
        request = receive()
        if request is None:
            return
        try:
            send({"id": request["id"], "outputs": outputs(model.predict(model_input(request)))})
        except Exception as err:
            send({"id": request["id"], "error": first_line(err)})


main(sys.argv[1])
`
