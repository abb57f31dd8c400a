-- POST /auth/login, cycling through the accounts in BENCH_LOGIN_USERS (comma-separated emails,
-- all with the password BENCH_PASSWORD), each thread starting at a different account.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local users, headers, next_user = {}, { ["Content-Type"] = "application/json" }, 1

function init(args)
  for email in string.gmatch(os.getenv("BENCH_LOGIN_USERS"), "[^,]+") do
    users[#users + 1] = email
  end
  next_user = (thread_id or 0) % #users + 1
end

function request()
  local email = users[next_user]
  next_user = next_user % #users + 1
  local body = string.format('{"email":"%s","password":"%s"}', email, os.getenv("BENCH_PASSWORD"))
  return wrk.format("POST", "/auth/login", headers, body)
end
