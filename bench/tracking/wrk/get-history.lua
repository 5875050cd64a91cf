-- GET metrics/get-history of the seeded 100,000-point metric "d" of run HISTORY_RUN.
dofile(os.getenv("WRK_DIR") .. "/report.lua")
wrk.path = "/api/2.0/mlflow/metrics/get-history?run_id=" .. os.getenv("HISTORY_RUN") .. "&metric_key=d"
