-- POST /auth/refresh where every refresh token is presented exactly once, so rotation is
-- measured and never reuse detection (which would revoke the session).
--
-- Arguments (after `--`): the file of pre-minted refresh tokens (one a line, each the head of
-- its own session) and the number of wrk threads. Each thread takes its share of the lines
-- into a pool. A request takes a token out of the pool; a 200 puts the new refresh token of
-- that answer back, so each session's chain goes on with tokens never used before. The pool
-- must hold more tokens than the thread has connections (bench/run.sh mints twice as many);
-- wrk also calls request() once at start-up to check it, which drops one token unused.
-- Should it ever run dry, the request carries a token that does not exist: it gets 401 and
-- shows up as non-2xx, never as a silent reuse.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local pool, headers = {}, { ["Content-Type"] = "application/json" }

function init(args)
  local file, threads = args[1], tonumber(args[2])
  local line_no = 0
  for line in io.lines(file) do
    if line ~= "" and line_no % threads == thread_id then
      pool[#pool + 1] = line
    end
    line_no = line_no + 1
  end
end

function request()
  local token = table.remove(pool, 1) or "pool-exhausted-not-a-token"
  return wrk.format("POST", "/auth/refresh", headers, '{"refresh_token":"' .. token .. '"}')
end

function response(status, _, body)
  if status == 200 then
    local token = string.match(body, '"refresh_token"%s*:%s*"([^"]+)"')
    if token then
      pool[#pool + 1] = token
    end
  end
end
