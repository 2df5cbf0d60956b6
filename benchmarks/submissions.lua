-- wrk script for benchmarks/enrollment_gateway.py: POST one distinct application per request.
-- args: <bodies file, one JSON body per line> <path> <bearer token> <number of wrk threads>
-- Each thread takes every n-th line; a thread that has sent all of its lines starts again, and
-- those repeats come back as idempotent replays, which are counted apart (never as accepted).
local threads = {}

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

function init(args)
  local file, path, token, step = args[1], args[2], args[3], tonumber(args[4])
  bodies, keys = {}, {}
  local n = 0
  for line in io.lines(file) do
    if n % step == index then
      table.insert(bodies, line)
      table.insert(keys, string.match(line, '"citizen_id":"(%w+)"'))
    end
    n = n + 1
  end
  request_path, authorization = path, "Bearer " .. token
  next_body, accepted, replayed, refused = 0, 0, 0, 0
  statuses = {}
end

function request()
  next_body = next_body % #bodies + 1
  return wrk.format("POST", request_path, {
    ["Authorization"] = authorization,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = keys[next_body],
  }, bodies[next_body])
end

function response(status, headers, body)
  if status == 201 then
    if headers["idempotent-replayed"] or headers["Idempotent-Replayed"] then
      replayed = replayed + 1
    else
      accepted = accepted + 1
    end
  else
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local accepted_total, replayed_total, others = 0, 0, {}
  for _, thread in ipairs(threads) do
    accepted_total = accepted_total + thread:get("accepted")
    replayed_total = replayed_total + thread:get("replayed")
    for status, count in pairs(thread:get("statuses")) do
      others[status] = (others[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(others) do
    table.insert(parts, string.format('"%d":%d', status, count))
  end
  io.write(string.format(
    'RESULT {"accepted":%d,"replayed":%d,"others":{%s},"requests":%d,"seconds":%.6f,' ..
    '"errors":%d,"p50_ms":%.3f,"p99_ms":%.3f}\n',
    accepted_total, replayed_total, table.concat(parts, ","), summary.requests,
    summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
