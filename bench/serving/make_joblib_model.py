"""Writes the Wharf-trained diabetes elastic net as a joblib scikit-learn ElasticNet, for MLServer.

The coefficients are copied from Wharf's wharf_model.json (centering and scaling folded in), as in
make_sklearn_model.py, so both servers answer the same predictions. Usage: make_joblib_model.py WHARF_DIR OUT_FILE
"""
import json
import sys

import joblib
import numpy as np
import pandas as pd
from sklearn.linear_model import ElasticNet

wharf_dir, out_file = sys.argv[1], sys.argv[2]
spec = json.load(open(f"{wharf_dir}/wharf_model.json"))
columns = [c["name"] for c in spec["columns"]]
center = np.array([c["center"] for c in spec["columns"]])
scale = np.array([c["scale"] for c in spec["columns"]])
coef = np.array(spec["estimator"]["coef"]) / scale
data = pd.read_csv("data/diabetes.csv")
model = ElasticNet(alpha=1.0, l1_ratio=0.5).fit(data[columns].to_numpy(), data["progression"])  # fitted, then replaced
model.coef_ = coef
model.intercept_ = spec["estimator"]["intercept"][0] - float(np.sum(coef * center))
joblib.dump(model, out_file)
print(json.dumps({"check": float(model.predict(data[columns].to_numpy()[:1])[0])}))
