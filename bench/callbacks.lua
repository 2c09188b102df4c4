-- wrk script: POSTs distinct signed stream_create callbacks, cycling through a file of pre-signed
-- `timestamp nonce signature` lines (bench/signed-callbacks.ts writes it; the body template is
-- callbackBody() there — keep the two in step). If the run outlasts the file, lines repeat: `wraps`
-- in the summary counts how often, and the bench reports it.
-- Usage: wrk -s bench/callbacks.lua <url> -- <file> <path> [callbacks/s per thread] [app id]
-- (the app id is 4001 unless given).
--
-- With a rate, the load is paced, open loop: callback k of a thread is due at t0 + floor(k / rate) ms
-- (a 1 ms grid), whichever connection is free then sends it (`delay()` waits until its due time), and
-- its latency counts from when it was DUE, not from when it was sent. A server that stalls therefore
-- shows every callback that came due during the stall in the percentiles (no coordinated omission);
-- sends are late only when all connections are busy or wrk gets no CPU in time (`late*` in the
-- summary: the driver fell behind), and `sent` below the offered count means callbacks that never went
-- out. Each request carries its slot in `x-request-id` (ingest echoes a well-formed one), which is how
-- an answer finds its due time.
local lines = {}
local index = 0
wraps = 0
local path = "/zego/callback"
local app = "4001"
local headers = { ["Content-Type"] = "application/json" }
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local function body(line, i)
  local timestamp, nonce, signature = line:match("(%S+) (%S+) (%S+)")
  local room = "room-" .. (i % 200)
  return '{"event":"stream_create","appid":"' .. app .. '","timestamp":"' .. timestamp .. '","nonce":"' .. nonce ..
    '","signature":"' .. signature .. '","room_id":"' .. room .. '","room_session_id":"' .. (900000 + i % 200) ..
    '","user_id":"user-' .. nonce .. '","user_name":"user-' .. nonce .. '","channel_id":"' .. room ..
    '","stream_id":"stream-' .. nonce .. '","stream_sid":"sid-' .. nonce .. '","stream_alias":"stream-' .. nonce ..
    '","stream_seq":"1","create_time":"' .. timestamp .. '","create_time_ms":"' .. timestamp ..
    '123","recreate":"0","extra_info":"","title":"","stream_attr":"{\\"cid\\":0}","publish_id":"user-' .. nonce ..
    '","publish_name":"user-' .. nonce .. '","rtmp_url":["rtmp://example.invalid/live/stream-' .. nonce ..
    '"],"hls_url":["https://example.invalid/live/stream-' .. nonce .. '.m3u8"],"hdl_url":["https://example.invalid/live/stream-' ..
    nonce .. '.flv"],"pic_url":[]}'
end

local function next_callback()
  if index >= #lines then
    index = 0
    wraps = wraps + 1
  end
  local i = index
  index = index + 1
  return body(lines[i + 1], i)
end

-- Paced mode (set up by init when a rate is given). The globals are read by done() (thread:get).
paced = false
local per_ms = nil -- callbacks per millisecond, this thread
local t0 = nil -- the first slot's due time (ms, monotonic)
local claimed = 0 -- slots handed to a connection by delay()
sent = 0 -- slots sent by request(), in due order
latencies = {} -- ms from due to a 200 answer, one per answered slot
lates = {} -- ms from due to send, one per sent slot
failed = 0 -- paced answers other than 200

local now_ms
local function due_of(slot)
  return t0 + math.floor(slot / per_ms)
end

local function paced_request()
  local id = "unpaced"
  if sent < claimed then
    local now = now_ms()
    lates[#lates + 1] = now - due_of(sent)
    id = "slot-" .. sent
    sent = sent + 1
  end
  return wrk.format("POST", path, { ["Content-Type"] = "application/json", ["x-request-id"] = id }, next_callback())
end

local function paced_delay()
  local now = now_ms()
  t0 = t0 or math.ceil(now) + 20
  local due = due_of(claimed)
  claimed = claimed + 1
  -- A whole number of ms, rounded up: a send is never early, and at most ~1 ms late by the timer.
  return math.max(0, math.ceil(due - now))
end

local function paced_response(status, answer_headers)
  local id = answer_headers["x-request-id"]
  local slot = id and tonumber(id:match("^slot%-(%d+)$"))
  if slot == nil then return end
  if status == 200 then
    latencies[#latencies + 1] = now_ms() - due_of(slot)
  else
    failed = failed + 1
  end
end

function init(args)
  for line in io.lines(args[1]) do
    lines[#lines + 1] = line
  end
  if args[2] then path = args[2] end
  if args[4] then app = args[4] end
  if args[3] then
    per_ms = tonumber(args[3]) / 1000
    local ffi = require("ffi")
    ffi.cdef([[
      typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
      int clock_gettime(int clock, bench_timespec *out);
    ]])
    local ts = ffi.new("bench_timespec")
    now_ms = function()
      ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
      return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
    end
    -- wrk checks for these after init. It builds one request first to check it: not a slot.
    paced = true
    request = paced_request
    delay = paced_delay
    response = paced_response
  end
end

function request()
  return wrk.format("POST", path, headers, next_callback())
end

local function percentile(sorted, p)
  if #sorted == 0 then return -1 end
  return sorted[math.max(1, math.ceil(#sorted * p / 100))]
end

local function paced_done(summary)
  local all, late = {}, {}
  local answered, failures, sends, missed = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    for _, v in ipairs(thread:get("latencies")) do all[#all + 1] = v end
    for _, v in ipairs(thread:get("lates")) do late[#late + 1] = v end
    failures = failures + thread:get("failed")
    sends = sends + thread:get("sent")
  end
  table.sort(all)
  table.sort(late)
  io.write(string.format(
    '\nBENCH-JSON {"paced":true,"durationUs":%d,"sent":%d,"answered":%d,"failed":%d,"p50Ms":%.3f,"p90Ms":%.3f,"p99Ms":%.3f,"maxMs":%.3f,"lateP99Ms":%.3f,"lateMaxMs":%.3f,"requests":%d}\n',
    summary.duration, sends, #all, failures, percentile(all, 50), percentile(all, 90), percentile(all, 99),
    all[#all] or -1, percentile(late, 99), late[#late] or -1, summary.requests))
end

function done(summary, latency, requests)
  if threads[1] and threads[1]:get("paced") then return paced_done(summary) end
  local w = 0
  for _, thread in ipairs(threads) do w = w + thread:get("wraps") end
  local e = summary.errors
  io.write(string.format(
    '\nBENCH-JSON {"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"maxUs":%d,"non2xx":%d,"connectErrors":%d,"readErrors":%d,"writeErrors":%d,"timeouts":%d,"wraps":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout, w))
end
