"""Generates the training benchmark's data with a fixed seed, as raw little-endian float64 files.

  python gen.py OUT_DIR [ROWS] [SEED]

For each problem (friedman1: regression, classify: binary) OUT_DIR/<problem>/ gets
  meta.json                        rows, train/test counts, features, generator
  X_train.f64, X_test.f64          column-major: feature j's values are [j*n, (j+1)*n)
  y_train.f64, y_test.f64
The split is the last 20 % of the (i.i.d., shuffled) rows as test, so every engine trains and
scores on exactly the same rows.
"""
import json
import os
import sys

import numpy as np

out, rows, seed = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000, int(sys.argv[3]) if len(sys.argv) > 3 else 20251126
p = 20
test_rows = rows // 5
train_rows = rows - test_rows


def write(name, X, y, describe):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    for part, sl in (("train", slice(0, train_rows)), ("test", slice(train_rows, rows))):
        # X.T in C order is X in column-major order.
        np.ascontiguousarray(X[sl].T, dtype="<f8").tofile(os.path.join(d, f"X_{part}.f64"))
        np.ascontiguousarray(y[sl], dtype="<f8").tofile(os.path.join(d, f"y_{part}.f64"))
    meta = {"rows": rows, "train_rows": train_rows, "test_rows": test_rows, "features": p, "seed": seed, "generator": describe}
    json.dump(meta, open(os.path.join(d, "meta.json"), "w"), indent=1)


rng = np.random.default_rng(seed)
# Friedman #1 (as sklearn.datasets.make_friedman1): 20 uniform features, 5 informative, noise sd 1.
X = rng.uniform(size=(rows, p))
y = 10 * np.sin(np.pi * X[:, 0] * X[:, 1]) + 20 * (X[:, 2] - 0.5) ** 2 + 10 * X[:, 3] + 5 * X[:, 4] + rng.standard_normal(rows)
write("friedman1", X, y, "Friedman #1: x ~ U(0,1)^20, y = 10 sin(pi x1 x2) + 20 (x3 - 0.5)^2 + 10 x4 + 5 x5 + N(0, 1)")
del X, y

# Binary classification: 20 standard-normal features, 10 of them carry signal, linearly and
# through a few interactions and thresholds, so trees can beat a linear model; labels drawn
# from the logistic of the score (Bayes error well above 0).
rng = np.random.default_rng(seed + 1)
X = rng.standard_normal((rows, p))
w = np.zeros(p)
w[:10] = rng.uniform(-1.0, 1.0, 10)
score = X @ w + 1.5 * X[:, 0] * X[:, 1] - 1.2 * (X[:, 2] > 0.5) + 0.8 * np.abs(X[:, 3]) - 0.5
y = (rng.uniform(size=rows) < 1 / (1 + np.exp(-score))).astype(np.float64)
write("classify", X, y, "binary: x ~ N(0,1)^20, score = x[:10]·w (w ~ U(-1,1)) + 1.5 x1 x2 - 1.2 [x3 > 0.5] + 0.8 |x4| - 0.5, y ~ Bernoulli(sigmoid(score))")
