-- wrk script for bench/run: POST signed Bitnob webhooks with a unique data.id per request.
--
--   wrk -t2 -c32 -d20s --latency -s bench/bitnob.lua http://127.0.0.1:PORT/webhooks/bitnob -- BODIES THREADS
--
-- wrk's LuaJIT has no HMAC-SHA512, so bench/gen_bodies.py precomputes BODIES (one
-- `<hex signature>\t<body>` per line, every body its own data.id). Thread k of THREADS takes the
-- lines k, k+THREADS, ... and cycles through them, so no id repeats within a run while the run
-- sends at most N requests (bench/run compares wrk's request count with N and flags a repeat).
-- done() prints one machine-readable `BENCH ...` line including p99.9, which --latency lacks.

local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

local requests = {}
local n = 0
local i = 0

function init(args)
  local path = args[1] or error("bitnob.lua: pass the bodies file after --")
  local threads = tonumber(args[2] or "1")
  local k = tid or 0
  local line_no = 0
  local target = wrk.path
  for line in io.lines(path) do
    if line_no % threads == k then
      local tab = line:find("\t", 1, true)
      local sig = line:sub(1, tab - 1)
      local body = line:sub(tab + 1)
      n = n + 1
      requests[n] = wrk.format("POST", target, {
        ["Content-Type"] = "application/json",
        ["x-bitnob-signature"] = sig,
      }, body)
    end
    line_no = line_no + 1
  end
  if n == 0 then error("bitnob.lua: no bodies in " .. path) end
end

function request()
  i = i + 1
  if i > n then i = 1 end
  return requests[i]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d " ..
    "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
