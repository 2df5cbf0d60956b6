-- wrk script for benchmarks/cluster_province.py: a family reads its application's status, GET
-- <path prefix><id>, the id drawn at random from a prepared list on every request.
-- args: <ids file, one application id per line> <path prefix> <bearer token>
local threads = {}

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

function init(args)
  ids = {}
  for line in io.lines(args[1]) do
    table.insert(ids, line)
  end
  prefix, authorization = args[2], "Bearer " .. args[3]
  math.randomseed(7919 * (index + 1))
  ok, statuses = 0, {}
end

function request()
  return wrk.format("GET", prefix .. ids[math.random(#ids)], {["Authorization"] = authorization})
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  else
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local ok_total, others = 0, {}
  for _, thread in ipairs(threads) do
    ok_total = ok_total + thread:get("ok")
    for status, count in pairs(thread:get("statuses")) do
      others[status] = (others[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(others) do
    table.insert(parts, string.format('"%d":%d', status, count))
  end
  io.write(string.format(
    'RESULT {"ok":%d,"others":{%s},"seconds":%.6f,"errors":%d,"p50_ms":%.3f,"p99_ms":%.3f}\n',
    ok_total, table.concat(parts, ","), summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
