-- wrk script for benchmarks/cluster_province.py: a family reads its application's status, GET
-- <path prefix><id>, the id drawn at random from a prepared list on every request.
-- args: <ids file, one application id per line> <path prefix> <bearer token>
threads = {}  -- global: wrk_ok_report.lua reads it

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

-- response() and done(): the 200s counted, one RESULT line (wrk_ok_report.lua)
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "wrk_ok_report.lua")
