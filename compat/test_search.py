"""runs/search through MlflowClient.search_runs and mlflow.search_runs (DataFrame)."""

import time

import mlflow
import pandas as pd
import pytest
from mlflow.entities import Metric, Param, RunTag, ViewType
from mlflow.exceptions import MlflowException

from conftest import unique_name

# name, params, metrics, tags, status
RUNS = [
    ("r-alpha", {"model": "lr", "lr": "0.1", "learning-rate": "0.1"}, {"acc": 0.9, "loss": 0.3, "val loss": 0.35}, {"team": "ml-core", "my key": "v1"}, "FINISHED"),
    ("r-beta", {"model": "rf", "lr": "0.01", "learning-rate": "0.01"}, {"acc": 0.8, "loss": 0.5, "val loss": 0.55}, {"team": "ml-edge", "my key": "v2"}, "FINISHED"),
    ("r-gamma", {"model": "RF-large", "lr": "0.001"}, {"acc": 0.7, "loss": 0.7}, {"team": "Data"}, "FAILED"),
    ("r-delta", {"model": "svm"}, {"acc": 0.6}, {"team": "ml-core"}, "KILLED"),
    ("r-eps", {}, {}, {}, "RUNNING"),  # no params/metrics/tags at all
]


@pytest.fixture
def populated(client, experiment_id):
    """Five runs with distinct start times (1 s apart, oldest first)."""
    base = int(time.time() * 1000) - 100_000
    ids = {}
    for i, (name, params, metrics, tags, status) in enumerate(RUNS):
        run = client.create_run(experiment_id, start_time=base + i * 1000, run_name=name)
        rid = run.info.run_id
        client.log_batch(
            rid,
            metrics=[Metric(k, v, base + i * 1000, 0) for k, v in metrics.items()],
            params=[Param(k, v) for k, v in params.items()],
            tags=[RunTag(k, v) for k, v in tags.items()],
        )
        if status != "RUNNING":
            client.set_terminated(rid, status=status, end_time=base + i * 1000 + 500)
        ids[name] = rid
    return {"experiment_id": experiment_id, "ids": ids, "base": base}


def _names(client, populated, filter_string="", **kw):
    runs = client.search_runs([populated["experiment_id"]], filter_string=filter_string, **kw)
    return [r.info.run_name for r in runs]


@pytest.mark.parametrize(
    "filter_string, expected",
    [
        ("metrics.acc > 0.7", {"r-alpha", "r-beta"}),
        ("metrics.acc >= 0.7", {"r-alpha", "r-beta", "r-gamma"}),
        ("metrics.acc < 0.7", {"r-delta"}),
        ("metrics.acc <= 0.7", {"r-gamma", "r-delta"}),
        ("metrics.acc = 0.8", {"r-beta"}),
        ("metrics.acc != 0.8", {"r-alpha", "r-gamma", "r-delta"}),
        ("metric.loss < 0.6", {"r-alpha", "r-beta"}),
        ("metrics.`val loss` < 0.5", {"r-alpha"}),
        ('metrics."val loss" > 0.5', {"r-beta"}),
        ("params.model = 'rf'", {"r-beta"}),
        ("params.model != 'rf'", {"r-alpha", "r-gamma", "r-delta"}),
        ("params.model LIKE 'r%'", {"r-beta"}),
        ("params.model LIKE '%F%'", {"r-gamma"}),
        ("params.model ILIKE 'rf%'", {"r-beta", "r-gamma"}),
        ("params.model LIKE '_v_'", {"r-delta"}),
        ('params.model = "lr"', {"r-alpha"}),
        ("param.lr = '0.01'", {"r-beta"}),
        ("params.`learning-rate` = '0.1'", {"r-alpha"}),
        ("tags.team = 'ml-core'", {"r-alpha", "r-delta"}),
        ("tags.team != 'ml-core'", {"r-beta", "r-gamma"}),
        ("tags.team LIKE 'ml-%'", {"r-alpha", "r-beta", "r-delta"}),
        ("tags.team ILIKE 'DATA'", {"r-gamma"}),
        ("tags.`my key` = 'v2'", {"r-beta"}),
        ("tags.\"my key\" LIKE 'v%'", {"r-alpha", "r-beta"}),
        ("tags.mlflow.runName = 'r-gamma'", {"r-gamma"}),
        ("attributes.run_name = 'r-delta'", {"r-delta"}),
        ("attributes.run_name LIKE 'r-%a'", {"r-alpha", "r-beta", "r-gamma", "r-delta"}),
        ("run_name ILIKE 'R-EPS'", {"r-eps"}),
        ("attributes.status = 'FINISHED'", {"r-alpha", "r-beta"}),
        ("attributes.status != 'FINISHED'", {"r-gamma", "r-delta", "r-eps"}),
        ("status = 'RUNNING'", {"r-eps"}),
        ("metrics.acc > 0.6 AND params.model LIKE 'r%'", {"r-beta"}),
        ("metrics.acc > 0.6 and tags.team = 'ml-core' and attributes.status = 'FINISHED'", {"r-alpha"}),
        ("params.model = 'nope'", set()),
        ("metrics.missing > 0", set()),
    ],
)
def test_filters(client, populated, filter_string, expected):
    assert set(_names(client, populated, filter_string)) == expected


@pytest.mark.parametrize(
    "filter_string",
    [
        "params.model = 'x'' OR ''1''=''1'",
        'params.model = "\'; DROP TABLE runs; --"',
        "tags.team = 'ml-core\\' OR 1=1 --'",
        "params.model LIKE '%'' OR 1=1 --'",
    ],
)
def test_injection_attempts_match_nothing(client, populated, filter_string):
    """Values are bound, never pasted into SQL: either no match or a clean 400."""
    try:
        names = _names(client, populated, filter_string)
    except MlflowException as exc:
        assert exc.error_code == "INVALID_PARAMETER_VALUE", exc
    else:
        assert names == []
    # the store is intact afterwards
    assert len(_names(client, populated)) == len(RUNS)


def test_filter_by_run_id_in_and_not_in(client, populated):
    ids = populated["ids"]
    chosen = [ids["r-alpha"], ids["r-gamma"]]
    in_list = ", ".join(f"'{i}'" for i in chosen)
    assert set(_names(client, populated, f"attributes.run_id IN ({in_list})")) == {"r-alpha", "r-gamma"}
    assert set(_names(client, populated, f"attributes.run_id NOT IN ({in_list})")) == {
        "r-beta",
        "r-delta",
        "r-eps",
    }
    assert _names(client, populated, f"attributes.run_id = '{ids['r-beta']}'") == ["r-beta"]
    assert set(_names(client, populated, f"run_id IN ('{ids['r-eps']}')")) == {"r-eps"}


def test_filter_by_time_attributes(client, populated):
    base = populated["base"]
    assert set(_names(client, populated, f"attributes.start_time >= {base + 2000}")) == {
        "r-gamma",
        "r-delta",
        "r-eps",
    }
    assert set(_names(client, populated, f"attributes.start_time < {base + 1000}")) == {"r-alpha"}
    assert set(_names(client, populated, f"attributes.start_time = {base + 3000}")) == {"r-delta"}
    assert set(_names(client, populated, f"attributes.end_time <= {base + 1500}")) == {"r-alpha", "r-beta"}
    assert set(_names(client, populated, f"attributes.created > {base + 3500}")) == {"r-eps"}


def test_default_order_is_start_time_desc(client, populated):
    assert _names(client, populated) == ["r-eps", "r-delta", "r-gamma", "r-beta", "r-alpha"]


@pytest.mark.parametrize(
    "order_by, expected",
    [
        (["metrics.acc DESC"], ["r-alpha", "r-beta", "r-gamma", "r-delta", "r-eps"]),
        (["metrics.acc ASC"], ["r-delta", "r-gamma", "r-beta", "r-alpha", "r-eps"]),
        (["metrics.acc"], ["r-delta", "r-gamma", "r-beta", "r-alpha", "r-eps"]),
        (["metrics.`val loss` ASC"], ["r-alpha", "r-beta"]),
        (["params.model ASC"], ["r-gamma", "r-alpha", "r-beta", "r-delta", "r-eps"]),
        (["params.model DESC"], ["r-delta", "r-beta", "r-alpha", "r-gamma", "r-eps"]),
        (["tags.team ASC", "attributes.start_time DESC"], ["r-gamma", "r-delta", "r-alpha", "r-beta", "r-eps"]),
        (["attributes.start_time ASC"], ["r-alpha", "r-beta", "r-gamma", "r-delta", "r-eps"]),
        (["start_time DESC"], ["r-eps", "r-delta", "r-gamma", "r-beta", "r-alpha"]),
        (["attributes.run_name DESC"], ["r-gamma", "r-eps", "r-delta", "r-beta", "r-alpha"]),
        (["run_name ASC"], ["r-alpha", "r-beta", "r-delta", "r-eps", "r-gamma"]),
        (["attributes.status ASC", "run_name ASC"], ["r-gamma", "r-alpha", "r-beta", "r-delta", "r-eps"]),
    ],
)
def test_order_by(client, populated, order_by, expected):
    names = _names(client, populated, order_by=order_by)
    # runs without the ordering key sort last; compare the prefix that has it, then membership
    assert names[: len(expected)] == expected
    assert set(names) == {r[0] for r in RUNS}


def test_pagination_collects_each_run_once(client, experiment_id):
    n = 23
    base = int(time.time() * 1000) - 100_000
    created = set()
    for i in range(n):
        run = client.create_run(experiment_id, start_time=base + (i % 4) * 1000)  # ties on start_time
        client.log_metric(run.info.run_id, "score", float(i % 5))
        created.add(run.info.run_id)
    for order_by in (None, ["metrics.score DESC"], ["attributes.start_time ASC"], ["params.none ASC"]):
        seen = []
        token = None
        pages = 0
        while True:
            page = client.search_runs(
                [experiment_id], max_results=5, order_by=order_by, page_token=token
            )
            assert len(page) <= 5
            seen.extend(r.info.run_id for r in page)
            pages += 1
            token = page.token
            if not token:
                break
            assert pages <= 10, "pagination does not terminate"
        assert len(seen) == n, (order_by, len(seen))
        assert set(seen) == created, order_by
        assert pages in (5, 6), (order_by, pages)  # 5 full pages (+ maybe an empty last one)


def test_run_view_types(client, experiment_id):
    ids = [client.create_run(experiment_id, run_name=f"v{i}").info.run_id for i in range(4)]
    client.delete_run(ids[1])
    client.delete_run(ids[3])

    def found(view):
        return {r.info.run_id for r in client.search_runs([experiment_id], run_view_type=view)}

    assert found(ViewType.ACTIVE_ONLY) == {ids[0], ids[2]}
    assert found(ViewType.DELETED_ONLY) == {ids[1], ids[3]}
    assert found(ViewType.ALL) == set(ids)
    client.restore_run(ids[1])
    assert found(ViewType.ACTIVE_ONLY) == {ids[0], ids[1], ids[2]}
    assert found(ViewType.DELETED_ONLY) == {ids[3]}


def test_search_across_experiments(client):
    e1 = client.create_experiment(unique_name("multi"))
    e2 = client.create_experiment(unique_name("multi"))
    r1 = client.create_run(e1).info.run_id
    r2 = client.create_run(e2).info.run_id
    client.log_param(r1, "shared", "yes")
    client.log_param(r2, "shared", "yes")
    runs = client.search_runs([e1, e2], filter_string="params.shared = 'yes'")
    assert {r.info.run_id for r in runs} == {r1, r2}
    assert {r.info.experiment_id for r in runs} == {e1, e2}


def test_search_returns_full_run_data(client, populated):
    (run,) = client.search_runs([populated["experiment_id"]], filter_string="attributes.run_name = 'r-alpha'")
    assert run.info.run_id == populated["ids"]["r-alpha"]
    assert run.info.status == "FINISHED"
    assert run.data.params == RUNS[0][1]
    assert run.data.metrics == RUNS[0][2]
    for k, v in RUNS[0][3].items():
        assert run.data.tags[k] == v


def test_fluent_search_runs_dataframe(client, populated):
    eid = populated["experiment_id"]
    df = mlflow.search_runs(experiment_ids=[eid], order_by=["metrics.acc DESC"])
    assert isinstance(df, pd.DataFrame)
    assert len(df) == 5
    for col in ("run_id", "experiment_id", "status", "start_time", "end_time", "artifact_uri",
                "metrics.acc", "metrics.loss", "params.model", "tags.team", "tags.mlflow.runName"):
        assert col in df.columns, col
    assert list(df["tags.mlflow.runName"])[:4] == ["r-alpha", "r-beta", "r-gamma", "r-delta"]
    by_name = df.set_index("tags.mlflow.runName")
    assert by_name.loc["r-alpha", "metrics.acc"] == 0.9
    assert by_name.loc["r-beta", "params.model"] == "rf"
    assert by_name.loc["r-gamma", "status"] == "FAILED"
    assert by_name.loc["r-alpha", "run_id"] == populated["ids"]["r-alpha"]
    assert set(df["experiment_id"]) == {eid}
    assert pd.isna(by_name.loc["r-eps", "metrics.acc"])

    filtered = mlflow.search_runs(experiment_ids=[eid], filter_string="params.model = 'lr'")
    assert list(filtered["run_id"]) == [populated["ids"]["r-alpha"]]

    name = client.get_experiment(eid).name
    by_exp_name = mlflow.search_runs(experiment_names=[name], filter_string="metrics.acc >= 0.8")
    assert set(by_exp_name["run_id"]) == {populated["ids"]["r-alpha"], populated["ids"]["r-beta"]}

    as_list = mlflow.search_runs(experiment_ids=[eid], output_format="list", max_results=2,
                                 order_by=["attributes.start_time ASC"])
    assert [r.info.run_name for r in as_list] == ["r-alpha", "r-beta"]


def test_fluent_search_runs_active_experiment(populated):
    # mlflow.search_runs() with no experiment uses the active one (set by the experiment_id fixture)
    df = mlflow.search_runs()
    assert set(df["run_id"]) == set(populated["ids"].values())


def test_invalid_filter_is_rejected(client, populated):
    for bad in ("metrics.acc >> 1", "params.model = unquoted", "foo.bar = '1'", "metrics.acc > 'x'"):
        with pytest.raises(MlflowException) as exc:
            client.search_runs([populated["experiment_id"]], filter_string=bad)
        assert exc.value.error_code == "INVALID_PARAMETER_VALUE", bad
