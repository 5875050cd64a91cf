-- POST runs/log-metric, one metric a request, spread over the runs in RUN_IDS; the step is new for every
-- request (and every round, through ROUND) so no server sees a duplicate row.
dofile(os.getenv("WRK_DIR") .. "/report.lua")
local runs = run_ids()
local n = 0
local headers = { ["Content-Type"] = "application/json" }

request = function()
  n = n + 1
  local step = unique_base + n
  local body = string.format('{"run_id":"%s","key":"m","value":%d.25,"timestamp":%d,"step":%d}',
    runs[n % #runs + 1], n % 977, 1700000000000 + step, step)
  return wrk.format("POST", "/api/2.0/mlflow/runs/log-metric", headers, body)
end
