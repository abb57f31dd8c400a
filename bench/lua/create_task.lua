-- POST /projects/{id}/tasks (the URL's path) with a fixed valid body: every request creates a
-- task. Static, like get.lua.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

wrk.method = "POST"
wrk.body = '{"title":"benchmark task","description":"created by bench/run.sh","priority":"high","due_date":"2030-01-31"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
