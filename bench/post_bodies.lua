-- wrk driver for bench/ingest.py: every wrk thread replays its own ordered stream of
-- pre-built remote-write bodies (files s<thread>_<n>.bin in the directory given after --),
-- one request at a time on its connection, and stops when the stream is used up
-- instead of wrapping around (a wrap would resend old timestamps).
--
-- The stream advances in request(): wrk calls response() only for replies that carry
-- at least one header, and seismo's 204 carries none. wrk 4.1 also calls request() once
-- on the first thread's state to check the script before the run starts; that call is
-- recognised (first call on thread 0) and does not advance, or thread 0 would never send
-- its first body. A reconnect mid-request would still skip one body: ingest.py compares
-- the samples each server accepted with the samples in the streams.

local next_id = 0
local threads = {}

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local dir = args[1]
  bodies = {}
  local n = 0
  while true do
    local f = io.open(string.format("%s/s%02d_%06d.bin", dir, id, n), "rb")
    if f == nil then break end
    bodies[n + 1] = f:read("*a")
    f:close()
    n = n + 1
  end
  sent = 0       -- bodies handed to wrk so far
  exhausted = 0  -- requests wrk wrote after the stream ran out (not remote-write traffic)
  checking = (id == 0)  -- the next call is wrk's script check, not a real request
  headers = {
    ["Content-Type"] = "application/x-protobuf",
    ["Content-Encoding"] = "snappy",
    ["X-Prometheus-Remote-Write-Version"] = "0.1.0",
    ["User-Agent"] = "seismo-bench/1",
  }
end

function request()
  if checking then
    checking = false
    return wrk.format("POST", nil, headers, bodies[1])
  end
  if sent >= #bodies then
    -- the stream is used up: stop this thread. wrk writes whatever this returns before
    -- its loop ends, so return nothing rather than a request the server would count.
    exhausted = exhausted + 1
    wrk.thread:stop()
    return ""
  end
  sent = sent + 1
  return wrk.format("POST", nil, headers, bodies[sent])
end

function done(summary, latency, requests)
  local total, extra = 0, 0
  for _, t in ipairs(threads) do
    total = total + t:get("sent")
    extra = extra + t:get("exhausted")
  end
  -- one machine-readable line for ingest.py (latencies in microseconds); "exhausted" is
  -- how many streams ran out before the run's end
  io.write(string.format(
    "BENCH_JSON {\"requests\":%d,\"duration_us\":%d,\"non2xx\":%d,\"timeouts\":%d," ..
    "\"p50\":%d,\"p90\":%d,\"p99\":%d,\"max\":%d,\"bodies_sent\":%d,\"exhausted\":%d}\n",
    summary.requests, summary.duration, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, total, extra))
end
