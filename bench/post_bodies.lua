-- wrk driver for bench/ingest.py: every wrk thread replays its own ordered stream of
-- pre-built remote-write bodies (files s<thread>_<n>.bin in the directory given after --),
-- one request at a time on its connection, and stops when the stream is used up
-- instead of wrapping around (a wrap would resend old timestamps).

local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
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
  pos = 0
  headers = {
    ["Content-Type"] = "application/x-protobuf",
    ["Content-Encoding"] = "snappy",
    ["X-Prometheus-Remote-Write-Version"] = "0.1.0",
    ["User-Agent"] = "seismo-bench/1",
  }
end

function request()
  pos = pos + 1
  if pos > #bodies then
    return wrk.format("GET", "/__stream_exhausted__")
  end
  return wrk.format("POST", nil, headers, bodies[pos])
end

function response(status, hdrs, body)
  if pos >= #bodies then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  -- one machine-readable line for ingest.py (latencies in microseconds)
  io.write(string.format(
    "BENCH_JSON {\"requests\":%d,\"duration_us\":%d,\"non2xx\":%d,\"timeouts\":%d," ..
    "\"p50\":%d,\"p90\":%d,\"p99\":%d,\"max\":%d}\n",
    summary.requests, summary.duration, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
