-- A GET of the URL's path, with a bearer token when BENCH_TOKEN is set. The request is built
-- once per thread (no request() function), so wrk's own cost per request is as low as it gets
-- and /health and /users/me are measured with the same client overhead.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
