-- wrk script for benchmarks/cluster_province.py: school changes (学校信息变更) at a fixed rate,
-- PATCH <path prefix><school code> {"planned_capacity": n}, each emitting one
-- `enrollment.school.updated` event.
-- args: <codes file, one school code per line> <path prefix> <bearer token> <lane> <lanes>
--       <requests per second of this thread>
-- Open loop: every request has a slot on a fixed timeline and waits for it (wrk's delay()); a
-- request whose slot has passed goes at once. Lane = this wrk process's first lane + thread
-- index; a lane takes every lanes-th code, so no school is changed by two connections at once,
-- and each pass over its codes writes another capacity, so every request changes its school.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } junheng_timespec;
int clock_gettime(int clock_id, junheng_timespec *now);
]]
local MONOTONIC = 1
local clock = ffi.new("junheng_timespec")

local function now_ms()
  ffi.C.clock_gettime(MONOTONIC, clock)
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end

threads = {}  -- global: wrk_ok_report.lua reads it

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

function init(args)
  local lane, lanes = tonumber(args[4]) + index, tonumber(args[5])
  codes = {}
  local n = 0
  for line in io.lines(args[1]) do
    if n % lanes == lane then
      table.insert(codes, line)
    end
    n = n + 1
  end
  prefix, authorization = args[2], "Bearer " .. args[3]
  interval_ms, next_slot = 1000 / tonumber(args[6]), now_ms()
  next_code, pass, ok, statuses = 0, 0, 0, {}
end

function delay()
  local slot = next_slot
  next_slot = next_slot + interval_ms
  return math.max(0, slot - now_ms())
end

function request()
  next_code = next_code + 1
  if next_code > #codes then
    next_code, pass = 1, pass + 1
  end
  local body = string.format('{"planned_capacity":%d}', 1000 + pass % 1000)
  return wrk.format("PATCH", prefix .. codes[next_code], {
    ["Authorization"] = authorization,
    ["Content-Type"] = "application/json",
  }, body)
end

-- response() and done(): the 200s counted, one RESULT line (wrk_ok_report.lua)
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "wrk_ok_report.lua")
