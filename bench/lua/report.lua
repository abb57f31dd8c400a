-- Shared by every bench script: one machine-readable line per wrk run, read by bench/run.sh.
-- Latencies are in milliseconds; "non2xx" is wrk's count of answers with status >= 400 (none
-- of the measured endpoints answers 1xx or 3xx); "socket_errors" are connect, read, write and
-- timeout errors, whose requests have no latency and no status.
function done(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"non2xx":%d,"socket_errors":%d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end

-- Numbers the threads (thread_id 0, 1, ...) so scripts can give each thread its own slice.
local count = 0
function setup(thread)
  thread:set("thread_id", count)
  count = count + 1
end
