"""Train the quickstart's elastic net in Python and log it with MLflow as an ONNX model Wharf serves.

The same training as the built-in `train` step of wharf.yaml, for teams that train in Python:

    pip install mlflow scikit-learn skl2onnx onnxruntime pandas
    MLFLOW_TRACKING_URI=http://127.0.0.1:5000 python train.py --alpha 0.01

In wharf.yaml, use it as the train step:  train: { command: "python train.py --alpha ${{ variables.alpha }}" }
The pipeline finds the run through the WHARF_RUN_ID line printed at the end (or the wharf.pipeline_run tag).
"""
import argparse
import os

import mlflow
import mlflow.onnx
import numpy as np
import pandas as pd
from mlflow.models import infer_signature
from skl2onnx import to_onnx
from sklearn.linear_model import ElasticNet
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.model_selection import train_test_split

parser = argparse.ArgumentParser()
parser.add_argument("--data", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "diabetes.csv"))
parser.add_argument("--target", default="progression")
parser.add_argument("--alpha", type=float, default=0.01)
parser.add_argument("--l1-ratio", type=float, default=0.5)
args = parser.parse_args()

df = pd.read_csv(args.data)
X = df.drop(columns=[args.target]).astype(np.float32)
y = df[args.target]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)

mlflow.set_experiment(os.environ.get("MLFLOW_EXPERIMENT_NAME", "diabetes"))
tags = {"wharf.pipeline_run": os.environ["WHARF_PIPELINE_RUN_ID"]} if "WHARF_PIPELINE_RUN_ID" in os.environ else {}
with mlflow.start_run(tags=tags) as run:
    model = ElasticNet(alpha=args.alpha, l1_ratio=args.l1_ratio, random_state=42).fit(X_train, y_train)
    predicted = model.predict(X_test)
    mlflow.log_params({"model": "elasticnet", "alpha": args.alpha, "l1_ratio": args.l1_ratio, "test_size": 0.2, "seed": 42})
    mlflow.log_metrics({
        "rmse": float(np.sqrt(mean_squared_error(y_test, predicted))),
        "mae": float(mean_absolute_error(y_test, predicted)),
        "r2": float(r2_score(y_test, predicted)),
    })
    # ONNX is the exchange format: Wharf serves it, and mlflow.pyfunc.load_model loads it back.
    onnx_model = to_onnx(model, X_train.to_numpy()[:1], target_opset=17)
    signature = infer_signature(X_train, model.predict(X_train))
    info = mlflow.onnx.log_model(onnx_model, "model", signature=signature, input_example=X_train.head(5))
    print(f"WHARF_RUN_ID={run.info.run_id}")
    # MLflow 3 keeps the model outside the run's artifacts (models:/m-...); MLflow 2 under runs:/RUN/model.
    print(f"WHARF_MODEL_URI={info.model_uri}")
