-- POST /auth/login/mfa where every line of the file (bench.py mfa) is one account's waiting
-- mfa_token and the TOTP codes of its next steps: each request takes a line and sends the code
-- of the step after the current one (inside the server's window, and later than the step the
-- enrolment used), so every request is a second step that succeeds once; none is a replay.
--
-- Arguments (after `--`): the file and the number of wrk threads. Each thread takes its share
-- of the lines. Should the pool run dry, the request carries a token that does not exist: it
-- gets 401 and shows up as non-2xx.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local pool, headers = {}, { ["Content-Type"] = "application/json" }

function init(args)
  local file, threads = args[1], tonumber(args[2])
  local line_no = 0
  for line in io.lines(file) do
    if line ~= "" and line_no % threads == thread_id then
      local fields = {}
      for field in string.gmatch(line, "%S+") do
        fields[#fields + 1] = field
      end
      pool[#pool + 1] = fields
    end
    line_no = line_no + 1
  end
end

function request()
  local entry = table.remove(pool)
  if not entry then
    return wrk.format("POST", "/auth/login/mfa", headers, '{"mfa_token":"pool-exhausted","code":"000000"}')
  end
  local first = tonumber(entry[1])
  local index = math.floor(os.time() / 30) + 1 - first
  local code = entry[3 + math.max(0, math.min(index, #entry - 3))]
  return wrk.format("POST", "/auth/login/mfa", headers, '{"mfa_token":"' .. entry[2] .. '","code":"' .. code .. '"}')
end
