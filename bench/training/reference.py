"""Reference training rounds and scoring for the training benchmark.

  python reference.py train MODEL DATA_DIR ENGINE [PRED_OUT]   # ENGINE: lightgbm | sklearn
      one timed fit (data loading and layout outside the timer) -> one JSON line; MODEL_SEED in the
      environment replaces the model's own seed (LightGBM `seed`, scikit-learn `random_state`)
  python reference.py score MODEL DATA_DIR PRED_FILE...          # any engines' test predictions
      -> JSON list of metrics (rmse, r2 / roc_auc, accuracy, log_loss), all computed with sklearn.metrics

Run with OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 (run.sh sets them); LightGBM also gets
num_threads=1 from models.json.
"""
import json
import os
import resource
import sys
import time

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))


def load(data_dir, config, part):
    d = os.path.join(data_dir, config["problem"])
    meta = json.load(open(os.path.join(d, "meta.json")))
    n, p = meta[f"{part}_rows"], meta["features"]
    # The files are column-major, so this is a Fortran-ordered (n, p) view without a copy.
    X = np.fromfile(os.path.join(d, f"X_{part}.f64"), dtype="<f8").reshape(p, n).T
    y = np.fromfile(os.path.join(d, f"y_{part}.f64"), dtype="<f8")
    return X, y


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def train(model, data_dir, engine, pred_out=None):
    config = json.load(open(os.path.join(here, "models.json")))[model]
    X, y = load(data_dir, config, "train")
    classify = config["task"] == "classification"
    if engine == "lightgbm":
        import lightgbm as lgb

        X = np.ascontiguousarray(X)  # LightGBM's native layout is row-major; copy outside the timer
        params = dict(config["lightgbm"])
        if "MODEL_SEED" in os.environ:
            params["seed"] = int(os.environ["MODEL_SEED"])
        c0, t0 = cpu_seconds(), time.perf_counter()
        # Dataset construction (binning) is part of the fit, as binning is inside Wharf's and sklearn's.
        booster = lgb.train(params, lgb.Dataset(X, label=y, free_raw_data=False))
        seconds, cpu = time.perf_counter() - t0, cpu_seconds() - c0
        iterations = booster.current_iteration()
        predict = lambda Xt: booster.predict(np.ascontiguousarray(Xt))  # noqa: E731 (values, or P(class 1))
        version = lgb.__version__
    else:
        import sklearn
        from sklearn import ensemble, linear_model

        spec = config["sklearn"]
        cls = getattr(ensemble, spec["estimator"], None) or getattr(linear_model, spec["estimator"])
        params = dict(spec["params"])
        if "MODEL_SEED" in os.environ and "random_state" in params:
            params["random_state"] = int(os.environ["MODEL_SEED"])
        est = cls(**params)
        target = y.astype(np.int64) if classify else y
        c0, t0 = cpu_seconds(), time.perf_counter()
        est.fit(X, target)
        seconds, cpu = time.perf_counter() - t0, cpu_seconds() - c0
        it = getattr(est, "n_iter_", None)
        iterations = int(np.max(it)) if it is not None else 1
        predict = (lambda Xt: est.predict_proba(Xt)[:, 1]) if classify else est.predict
        version = sklearn.__version__
    if pred_out:
        Xt, _ = load(data_dir, config, "test")
        np.asarray(predict(Xt), dtype="<f8").tofile(pred_out)
    print(json.dumps({"engine": engine, "model": model, "seconds": seconds, "cpu_seconds": cpu, "iterations": iterations, "version": version}))


def score(model, data_dir, *pred_files):
    from sklearn import metrics

    config = json.load(open(os.path.join(here, "models.json")))[model]
    _, y = load(data_dir, config, "test")
    out = []
    for pred_file in pred_files:
        pred = np.fromfile(pred_file, dtype="<f8")
        assert pred.shape == y.shape, (pred.shape, y.shape)
        if config["task"] == "regression":
            out.append({"rmse": float(np.sqrt(metrics.mean_squared_error(y, pred))), "r2": float(metrics.r2_score(y, pred))})
        else:
            out.append({"roc_auc": float(metrics.roc_auc_score(y, pred)), "accuracy": float(metrics.accuracy_score(y, pred > 0.5)),
                        "log_loss": float(metrics.log_loss(y, np.clip(pred, 1e-15, 1 - 1e-15)))})
    print(json.dumps(out))


if __name__ == "__main__":
    cmd, *rest = sys.argv[1:]
    train(*rest) if cmd == "train" else score(*rest)
