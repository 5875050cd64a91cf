"""Logs the Wharf-trained diabetes elastic net as a scikit-learn model (mlflow.sklearn.save_model).

The coefficients are copied from Wharf's wharf_model.json (centering and scaling folded in), so both
servers answer the same predictions for complete rows. Usage: make_sklearn_model.py WHARF_DIR OUT_DIR
"""
import json
import sys

import mlflow.sklearn
import numpy as np
import pandas as pd
from mlflow.models import infer_signature
from sklearn.linear_model import ElasticNet

wharf_dir, out_dir = sys.argv[1], sys.argv[2]
spec = json.load(open(f"{wharf_dir}/wharf_model.json"))
columns = [c["name"] for c in spec["columns"]]
center = np.array([c["center"] for c in spec["columns"]])
scale = np.array([c["scale"] for c in spec["columns"]])
coef = np.array(spec["estimator"]["coef"]) / scale
intercept = spec["estimator"]["intercept"][0] - float(np.sum(coef * center))

data = pd.read_csv("data/diabetes.csv")
X = data[columns]
model = ElasticNet(alpha=1.0, l1_ratio=0.5).fit(X, data["progression"])  # fitted, then replaced below
model.coef_ = coef
model.intercept_ = intercept
example = X.head(5)
mlflow.sklearn.save_model(model, out_dir, signature=infer_signature(example, model.predict(example)), input_example=example)
print(json.dumps({"check": float(model.predict(X.head(1))[0])}))
