-- wrk script for benchmarks/status_reads.py: families poll their application's status, GET
-- <path prefix><id> with If-None-Match: <the ETag each family last saw> (or none), the family
-- drawn at random from a prepared list on every request.
-- args: <file, one "id etag" per line> <path prefix> <bearer token> <conditional: 1 | 0>
threads = {}

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

function init(args)
  ids, etags = {}, {}
  for line in io.lines(args[1]) do
    local id, etag = line:match("^(%S+)%s+(.+)$")
    table.insert(ids, id)
    table.insert(etags, etag)
  end
  prefix, authorization, conditional = args[2], "Bearer " .. args[3], args[4] == "1"
  math.randomseed(7919 * (index + 1))
  ok, not_modified, statuses = 0, 0, {}
end

function request()
  local i = math.random(#ids)
  local headers = {["Authorization"] = authorization}
  if conditional then
    headers["If-None-Match"] = etags[i]
  end
  return wrk.format("GET", prefix .. ids[i], headers)
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  elseif status == 304 then
    not_modified = not_modified + 1
  else
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local ok_total, not_modified_total, others = 0, 0, {}
  for _, thread in ipairs(threads) do
    ok_total = ok_total + thread:get("ok")
    not_modified_total = not_modified_total + thread:get("not_modified")
    for status, count in pairs(thread:get("statuses")) do
      others[status] = (others[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(others) do
    table.insert(parts, string.format('"%d":%d', status, count))
  end
  io.write(string.format(
    'RESULT {"ok":%d,"not_modified":%d,"others":{%s},"seconds":%.6f,"errors":%d,' ..
    '"p50_ms":%.3f,"p99_ms":%.3f}\n',
    ok_total, not_modified_total, table.concat(parts, ","), summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
