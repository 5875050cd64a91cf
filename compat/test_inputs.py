"""mlflow.log_input with pandas datasets, read back from run.inputs."""

import json

import mlflow
import mlflow.data
import pandas as pd
import pytest


def _frame():
    return pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [0, 1, 0], "label": ["a", "b", "c"]})


def test_log_input_pandas_dataset(client, experiment_id):
    df = _frame()
    ds = mlflow.data.from_pandas(df, source="file:///data/train.csv", name="train-set", targets="y")
    with mlflow.start_run() as run:
        mlflow.log_input(ds, context="training", tags={"split": "train"})
    got = client.get_run(run.info.run_id)
    assert got.inputs is not None
    inputs = got.inputs.dataset_inputs
    assert len(inputs) == 1
    d = inputs[0].dataset
    assert d.name == "train-set"
    assert d.digest == ds.digest
    assert d.source_type == ds.source._get_source_type()
    assert json.loads(d.source) == json.loads(ds.source.to_json())
    assert json.loads(d.schema) == json.loads(ds.to_dict()["schema"])
    assert json.loads(d.profile) == json.loads(ds.to_dict()["profile"])
    tags = {t.key: t.value for t in inputs[0].tags}
    assert tags["mlflow.data.context"] == "training"
    assert tags["split"] == "train"


def test_log_several_inputs_and_dedup(client, experiment_id):
    df = _frame()
    train = mlflow.data.from_pandas(df, name="train")
    evald = mlflow.data.from_pandas(df.head(2), name="eval")
    with mlflow.start_run() as run:
        mlflow.log_input(train, context="training")
        mlflow.log_input(evald, context="evaluation")
        mlflow.log_input(train, context="training")  # same dataset + context again: no duplicate
    got = client.get_run(run.info.run_id).inputs.dataset_inputs
    pairs = sorted(
        (i.dataset.name, {t.key: t.value for t in i.tags}["mlflow.data.context"]) for i in got
    )
    assert pairs == [("eval", "evaluation"), ("train", "training")]
    digests = {i.dataset.name: i.dataset.digest for i in got}
    assert digests == {"train": train.digest, "eval": evald.digest}


def test_inputs_visible_in_search(client, experiment_id):
    ds = mlflow.data.from_pandas(_frame(), name="searchable")
    with mlflow.start_run() as with_input:
        mlflow.log_input(ds, context="training")
    with mlflow.start_run():
        pass
    runs = client.search_runs([experiment_id], filter_string="datasets.name = 'searchable'")
    assert [r.info.run_id for r in runs] == [with_input.info.run_id]
    assert runs[0].inputs.dataset_inputs[0].dataset.digest == ds.digest
    runs = client.search_runs([experiment_id], filter_string="datasets.context = 'training'")
    assert [r.info.run_id for r in runs] == [with_input.info.run_id]
