-- One wrk script for every scenario. The requests come from a file that bench/prepare.py wrote:
--   BENCH_TARGETS   a file of lines "METHOD<TAB>PATH<TAB>TOKEN<TAB>BODY" (BODY may be empty: no body)
--   BENCH_ONCE      "1": every line may be sent once only (read_all: each request needs fresh unread state);
--                   the thread stops when its share of lines is used up, and the repeats are counted
--   BENCH_OUT       where done() writes the summary and latency distribution as JSON (microseconds)
--   BENCH_THREADS   the -t given to wrk
-- Threads take disjoint shares of the lines (line i goes to thread i mod threads) and cycle through them.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local function split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do
    table.insert(fields, field)
  end
  return fields
end

function init(args)
  -- init() runs in each thread's own Lua state, where setup()'s counter is not visible.
  local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
  once = os.getenv("BENCH_ONCE") == "1"
  requests = {}
  sent = 0
  repeats = 0
  local n = 0
  local path = os.getenv("BENCH_TARGETS")
  local file = assert(io.open(path, "r"), "cannot open BENCH_TARGETS " .. tostring(path))
  for line in file:lines() do
    if line ~= "" then
      if n % nthreads == id then
        local f = split(line)
        local headers = { ["Authorization"] = "Bearer " .. f[3], ["Accept"] = "application/json" }
        local body = nil
        if f[4] ~= nil and f[4] ~= "" then
          body = f[4]
          headers["Content-Type"] = "application/json"
        end
        table.insert(requests, wrk.format(f[1], f[2], headers, body))
      end
      n = n + 1
    end
  end
  file:close()
  assert(#requests > 0, "no requests for thread " .. tostring(id))
  available = #requests
end

function request()
  sent = sent + 1
  if once and sent > #requests then
    -- Out of fresh state: stop rather than measure a request that has nothing left to do.
    repeats = repeats + 1
    wrk.thread:stop()
  end
  return requests[((sent - 1) % #requests) + 1]
end

local function fmt(value)
  return string.format("%.1f", value)
end

function done(summary, latency, requests_)
  local sent_total, repeats_total, available = 0, 0, 0
  for _, thread in ipairs(threads) do
    sent_total = sent_total + (thread:get("sent") or 0)
    repeats_total = repeats_total + (thread:get("repeats") or 0)
    available = available + (thread:get("available") or 0)
  end
  local out = {}
  table.insert(out, '{"duration_us": ' .. summary.duration)
  table.insert(out, '"requests": ' .. summary.requests)
  table.insert(out, '"bytes": ' .. summary.bytes)
  table.insert(out, '"errors": {"connect": ' .. summary.errors.connect .. ', "read": ' .. summary.errors.read
    .. ', "write": ' .. summary.errors.write .. ', "status": ' .. summary.errors.status
    .. ', "timeout": ' .. summary.errors.timeout .. '}')
  table.insert(out, '"latency_us": {"min": ' .. fmt(latency.min) .. ', "max": ' .. fmt(latency.max)
    .. ', "mean": ' .. fmt(latency.mean) .. ', "stdev": ' .. fmt(latency.stdev) .. '}')
  local pct = {}
  for _, p in ipairs({ 50, 75, 90, 99, 99.9 }) do
    table.insert(pct, '"' .. p .. '": ' .. fmt(latency:percentile(p)))
  end
  table.insert(out, '"percentiles_us": {' .. table.concat(pct, ", ") .. '}')
  table.insert(out, '"sent": ' .. sent_total)
  table.insert(out, '"repeats": ' .. repeats_total)
  table.insert(out, '"targets": ' .. available .. '}')
  local json = table.concat(out, ", ")
  local path = os.getenv("BENCH_OUT")
  if path and path ~= "" then
    local file = assert(io.open(path, "w"))
    file:write(json, "\n")
    file:close()
  else
    io.write(json, "\n")
  end
end
