-- POST runs/search over the seeded experiment (SEARCH_EXPERIMENT): a metric filter and an order on
-- another metric, 100 results a page, the same query as workload.py's search_runs.
dofile(os.getenv("WRK_DIR") .. "/report.lua")
wrk.method = "POST"
wrk.path = "/api/2.0/mlflow/runs/search"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format(
  '{"experiment_ids":["%s"],"filter":"metrics.rmse < 0.5","order_by":["metrics.mae DESC"],"max_results":100}',
  os.getenv("SEARCH_EXPERIMENT"))
