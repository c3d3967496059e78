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
--
-- Bounded skew (arguments after the bodies dir: PROGRESS_DIR THREADS ROUNDS MAX_SKEW):
-- left alone, the streams drift apart (one connection gets served more often than
-- another), and in a long run the leader ends up more than an hour of data time ahead
-- of the slowest stream, so the laggard's samples fall out of a receiver's window
-- (seismo refused 1,681 requests as too old in a 6,000-round run). Prometheus' shards
-- never drift that far: each is fed from the same scrape. So a stream that is more than
-- MAX_SKEW rounds ahead of the slowest one waits (wrk's delay(), 5 ms at a time, not
-- counted in its latency) until the others catch up. wrk threads share no memory; each
-- one publishes its round in a small file in PROGRESS_DIR and reads the others'. The
-- same rule applies to every server, so every server gets the same shape of load.

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
  held = 0       -- delay() calls that held this stream back
  max_lead = 0   -- most rounds this stream was seen ahead of the slowest one
  progress_dir = args[2]
  if progress_dir then
    n_threads = tonumber(args[3])
    rounds = tonumber(args[4])
    max_skew = tonumber(args[5])
    own_path = string.format("%s/p%02d", progress_dir, id)
    publish(0)
    known = {}     -- the newest round read from each other stream
    others = {}
    for k = 0, n_threads - 1 do
      if k ~= id then others[#others + 1] = k end
    end
    slowest = 0
  end
end

-- The round the stream's next body belongs to (the streams hold `rounds` rounds each).
local function round_of(count)
  if count >= #bodies then return rounds end  -- used up: holds nobody back
  return math.floor(count * rounds / #bodies)
end

-- Written beside and renamed over: a reader sees the old round or the new one, never a
-- half-written file.
function publish(round)
  local f = io.open(own_path .. ".tmp", "w")
  f:write(string.format("%d\n", round))
  f:close()
  os.rename(own_path .. ".tmp", own_path)
end

-- Slowest round among the other streams; a stream not heard from yet counts as round 0.
local function read_slowest()
  local low = rounds
  for _, k in ipairs(others) do
    local f = io.open(string.format("%s/p%02d", progress_dir, k), "r")
    if f then
      local r = f:read("*n")
      f:close()
      if r and r > (known[k] or 0) then known[k] = r end
    end
    local r = known[k] or 0
    if r < low then low = r end
  end
  return low
end

function delay()
  -- a used-up stream only stops (request()): it is ahead of nobody
  if not progress_dir or checking or sent >= #bodies then return 0 end
  local mine = round_of(sent)
  -- publish and look every 8 bodies (and on every hold): cheap, and the bound is in
  -- hundreds of rounds
  if sent % 8 == 0 or mine - slowest > max_skew then
    publish(mine)
    slowest = read_slowest()
  end
  local lead = mine - slowest
  if lead > max_lead then max_lead = lead end
  if lead > max_skew then
    -- wrk asks delay() once per request and then sends it, so a hold is a slower pace,
    -- not a stop: 50 ms per body (20 rounds/s) lets every laggard catch up
    held = held + 1
    return 50
  end
  return 0
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
    if progress_dir then publish(rounds) end
    wrk.thread:stop()
    return ""
  end
  sent = sent + 1
  if progress_dir and sent == #bodies then publish(rounds) end
  return wrk.format("POST", nil, headers, bodies[sent])
end

function done(summary, latency, requests)
  local total, extra, holds, lead = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    io.stderr:write(string.format("thread %d: sent %d held %d max_lead %d\n", t:get("id"), t:get("sent"), t:get("held"), t:get("max_lead")))
    total = total + t:get("sent")
    extra = extra + t:get("exhausted")
    holds = holds + t:get("held")
    local l = t:get("max_lead")
    if l > lead then lead = l end
  end
  -- one machine-readable line for ingest.py (latencies in microseconds); "exhausted" is
  -- how many streams ran out before the run's end; "held" how many times a stream waited
  -- 5 ms for the others, "max_lead" the widest skew seen in rounds (0 without a bound)
  io.write(string.format(
    "BENCH_JSON {\"requests\":%d,\"duration_us\":%d,\"non2xx\":%d,\"timeouts\":%d," ..
    "\"p50\":%d,\"p90\":%d,\"p99\":%d,\"max\":%d,\"bodies_sent\":%d,\"exhausted\":%d," ..
    "\"held\":%d,\"max_lead\":%d}\n",
    summary.requests, summary.duration, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, total, extra,
    holds, lead))
end
