-- Shared by the wrk scripts of benchmarks/cluster_province.py that count 200 answers
-- (status_reads.lua, school_updates.lua), loaded with dofile: each thread counts its 200s in
-- `ok` and every other status in `statuses` (both set by the script's init(), the threads listed
-- in `threads` by its setup()); done() prints one line, RESULT {json}, that the benchmark reads.
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
