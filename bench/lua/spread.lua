-- Spreads wrk's threads over several instances: BENCH_PORTS lists their ports on 127.0.0.1,
-- and thread n talks to port n mod the count. BENCH_SCRIPT names the request script to run
-- (get.lua or create_task.lua) with its own environment (BENCH_TOKEN).
dofile(os.getenv("BENCH_LUA_DIR") .. "/" .. os.getenv("BENCH_SCRIPT"))

local ports = {}
for port in string.gmatch(os.getenv("BENCH_PORTS"), "%d+") do
  ports[#ports + 1] = port
end
local numbered = setup
local assigned = 0
function setup(thread)
  numbered(thread)
  local port = ports[(assigned % #ports) + 1]
  assigned = assigned + 1
  thread.addr = wrk.lookup("127.0.0.1", port)[1]
end
