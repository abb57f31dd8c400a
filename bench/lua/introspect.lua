-- POST /auth/introspect (RFC 7662) as a resource server makes it: the form's token is the
-- access token BENCH_SUBJECT, the caller's credential the personal access token BENCH_TOKEN
-- (scope introspect). Static, like get.lua: every request asks about the same live token.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

wrk.method = "POST"
wrk.body = "token=" .. os.getenv("BENCH_SUBJECT")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
