"""A scoring app in the style of the Azure ML inference server (azmlinfsrv): Flask, served by
gunicorn, init() loads the model once per worker, run() parses the JSON body into a pandas
DataFrame and predicts. Run: gunicorn -w 2 -b 127.0.0.1:PORT flask_app:app (WHARF_BENCH_MODEL_DIR)."""
import json
import os

import mlflow.sklearn
import pandas as pd
from flask import Flask, Response, request

app = Flask(__name__)
model = None


def init():
    global model
    model = mlflow.sklearn.load_model(os.environ["WHARF_BENCH_MODEL_DIR"])


def run(raw_data):
    doc = json.loads(raw_data)
    split = doc["dataframe_split"]
    frame = pd.DataFrame(split["data"], columns=split["columns"])
    return {"predictions": model.predict(frame).tolist()}


@app.get("/")
def live():
    return "Healthy"


@app.post("/score")
def score():
    try:
        return Response(json.dumps(run(request.get_data(as_text=True))), mimetype="application/json")
    except Exception as err:  # noqa: BLE001 - the scoring server turns any failure into an answer
        return Response(json.dumps({"error": str(err)}), status=400, mimetype="application/json")


init()
