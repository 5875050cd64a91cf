"""Experiments through the MLflow client: create/get/get-by-name/search/rename/delete/restore/tags."""

import time

import mlflow
import pytest
from mlflow.entities import ViewType
from mlflow.exceptions import MlflowException

from conftest import MLFLOW_MAJOR, unique_name


def test_default_experiment_exists(client):
    exp = client.get_experiment("0")
    assert exp.experiment_id == "0"
    assert exp.name == "Default"
    assert exp.lifecycle_stage == "active"
    assert client.get_experiment_by_name("Default").experiment_id == "0"


def test_create_and_get_experiment(client):
    name = unique_name("create")
    before = int(time.time() * 1000)
    exp_id = client.create_experiment(name, tags={"team": "compat", "purpose": "create test"})
    after = int(time.time() * 1000)
    assert isinstance(exp_id, str) and exp_id

    exp = client.get_experiment(exp_id)
    assert exp.experiment_id == exp_id
    assert exp.name == name
    assert exp.lifecycle_stage == "active"
    assert exp.tags == {"team": "compat", "purpose": "create test"}
    # proxied artifact root: <default root>/<id>
    assert exp.artifact_location.startswith("mlflow-artifacts:/"), exp.artifact_location
    assert exp.artifact_location.rstrip("/").endswith(exp_id), exp.artifact_location
    assert before - 5000 <= exp.creation_time <= after + 5000
    assert exp.last_update_time >= exp.creation_time

    by_name = client.get_experiment_by_name(name)
    assert by_name is not None
    assert by_name.experiment_id == exp_id
    assert by_name.name == name
    assert by_name.tags == exp.tags


def test_get_experiment_by_unknown_name_is_none(client):
    assert client.get_experiment_by_name(unique_name("missing")) is None


def test_set_experiment_creates_then_reuses(client):
    name = unique_name("fluent")
    exp = mlflow.set_experiment(name)
    assert exp.name == name
    again = mlflow.set_experiment(name)
    assert again.experiment_id == exp.experiment_id
    assert client.get_experiment(exp.experiment_id).name == name
    by_id = mlflow.set_experiment(experiment_id=exp.experiment_id)
    assert by_id.name == name


def test_experiment_tags_set_overwrite(client):
    exp_id = client.create_experiment(unique_name("tags"))
    client.set_experiment_tag(exp_id, "k1", "v1")
    client.set_experiment_tag(exp_id, "k2", "value with spaces / and ünïcödé")
    client.set_experiment_tag(exp_id, "k1", "v1-overwritten")
    long_value = "x" * 5000
    client.set_experiment_tag(exp_id, "long", long_value)
    tags = client.get_experiment(exp_id).tags
    assert tags["k1"] == "v1-overwritten"
    assert tags["k2"] == "value with spaces / and ünïcödé"
    assert tags["long"] == long_value
    mlflow.set_experiment(experiment_id=exp_id)
    mlflow.set_experiment_tags({"a": "1", "b": "2"})
    tags = client.get_experiment(exp_id).tags
    assert tags["a"] == "1" and tags["b"] == "2" and tags["k1"] == "v1-overwritten"


@pytest.mark.skipif(MLFLOW_MAJOR < 3, reason="delete_experiment_tag is a 3.x client call")
def test_delete_experiment_tag(client):
    exp_id = client.create_experiment(unique_name("deltag"), tags={"keep": "1", "drop": "2"})
    client.delete_experiment_tag(exp_id, "drop")
    assert client.get_experiment(exp_id).tags == {"keep": "1"}


def test_rename_experiment(client):
    old = unique_name("old")
    new = unique_name("new")
    exp_id = client.create_experiment(old)
    client.rename_experiment(exp_id, new)
    exp = client.get_experiment(exp_id)
    assert exp.name == new
    assert client.get_experiment_by_name(new).experiment_id == exp_id
    assert client.get_experiment_by_name(old) is None


def test_delete_and_restore_experiment(client):
    name = unique_name("delexp")
    exp_id = client.create_experiment(name)
    run = client.create_run(exp_id)
    run_id = run.info.run_id

    client.delete_experiment(exp_id)
    exp = client.get_experiment(exp_id)  # get works on deleted experiments
    assert exp.lifecycle_stage == "deleted"
    by_name = client.get_experiment_by_name(name)
    assert by_name is not None and by_name.lifecycle_stage == "deleted"
    # runs of a deleted experiment are deleted too
    assert client.get_run(run_id).info.lifecycle_stage == "deleted"

    active = client.search_experiments(view_type=ViewType.ACTIVE_ONLY, filter_string=f"name = '{name}'")
    deleted = client.search_experiments(view_type=ViewType.DELETED_ONLY, filter_string=f"name = '{name}'")
    everything = client.search_experiments(view_type=ViewType.ALL, filter_string=f"name = '{name}'")
    assert [e.experiment_id for e in active] == []
    assert [e.experiment_id for e in deleted] == [exp_id]
    assert [e.experiment_id for e in everything] == [exp_id]

    # the fluent API refuses to activate a deleted experiment
    with pytest.raises(MlflowException):
        mlflow.set_experiment(name)

    client.restore_experiment(exp_id)
    exp = client.get_experiment(exp_id)
    assert exp.lifecycle_stage == "active"
    assert exp.name == name
    assert client.get_run(run_id).info.lifecycle_stage == "active"
    active = client.search_experiments(view_type=ViewType.ACTIVE_ONLY, filter_string=f"name = '{name}'")
    assert [e.experiment_id for e in active] == [exp_id]


def test_search_experiments_filters(client):
    prefix = unique_name("srch")
    ids = {}
    for i, (suffix, team) in enumerate([("alpha", "red"), ("beta", "blue"), ("Gamma", "red")]):
        ids[suffix] = client.create_experiment(f"{prefix}-{suffix}", tags={"team": team, "idx": str(i)})

    def names(filter_string, **kw):
        return sorted(e.name for e in client.search_experiments(filter_string=filter_string, **kw))

    assert names(f"name = '{prefix}-alpha'") == [f"{prefix}-alpha"]
    assert names(f"name LIKE '{prefix}-%'") == sorted(f"{prefix}-{s}" for s in ids)
    assert names(f"name LIKE '{prefix}-g%'") == []  # LIKE is case-sensitive
    assert names(f"name ILIKE '{prefix}-g%'") == [f"{prefix}-Gamma"]
    assert names(f"name LIKE '{prefix}-%' AND tags.team = 'red'") == [f"{prefix}-Gamma", f"{prefix}-alpha"]
    assert names(f"name LIKE '{prefix}-%' AND tags.team != 'red'") == [f"{prefix}-beta"]
    assert names(f"name LIKE '{prefix}-%' AND tags.`team` LIKE 'bl%'") == [f"{prefix}-beta"]
    assert names(f"name != '{prefix}-alpha' AND name LIKE '{prefix}%'") == [f"{prefix}-Gamma", f"{prefix}-beta"]
    created = client.get_experiment(ids["beta"]).creation_time
    assert f"{prefix}-beta" in names(f"name LIKE '{prefix}-%' AND creation_time >= {created}")
    assert names(f"name LIKE '{prefix}-%' AND creation_time > {created + 10**9}") == []


def test_search_experiments_order_and_pagination(client):
    prefix = unique_name("page")
    created = [client.create_experiment(f"{prefix}-{i:02d}") for i in range(7)]
    flt = f"name LIKE '{prefix}-%'"

    desc = client.search_experiments(filter_string=flt, order_by=["name DESC"])
    assert [e.name for e in desc] == [f"{prefix}-{i:02d}" for i in reversed(range(7))]
    asc = client.search_experiments(filter_string=flt, order_by=["name ASC"])
    assert [e.name for e in asc] == [f"{prefix}-{i:02d}" for i in range(7)]
    by_id = client.search_experiments(filter_string=flt, order_by=["experiment_id ASC"])
    assert len(by_id) == 7 and set(e.experiment_id for e in by_id) == set(created)

    seen = []
    token = None
    pages = 0
    while True:
        page = client.search_experiments(
            filter_string=flt, max_results=3, order_by=["name ASC"], page_token=token
        )
        assert len(page) <= 3
        seen.extend(e.name for e in page)
        pages += 1
        token = page.token
        if not token:
            break
        assert pages < 10, "pagination does not terminate"
    assert seen == [f"{prefix}-{i:02d}" for i in range(7)]
    assert pages == 3


def test_experiment_last_update_time_moves(client):
    exp_id = client.create_experiment(unique_name("lut"))
    first = client.get_experiment(exp_id).last_update_time
    time.sleep(0.05)
    client.rename_experiment(exp_id, unique_name("lut-renamed"))
    assert client.get_experiment(exp_id).last_update_time >= first
