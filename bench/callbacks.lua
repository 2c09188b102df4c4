-- wrk script: POSTs distinct signed stream_create callbacks, cycling through a file of pre-signed
-- `timestamp nonce signature` lines (bench/signed-callbacks.ts writes it; the body template is
-- callbackBody() there — keep the two in step). If the run outlasts the file, lines repeat: `wraps`
-- in the summary counts how often, and the bench reports it.
-- Usage: wrk -s bench/callbacks.lua <url> -- <file> <path>
local lines = {}
local index = 0
wraps = 0
local path = "/zego/callback"
local headers = { ["Content-Type"] = "application/json" }
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    lines[#lines + 1] = line
  end
  if args[2] then path = args[2] end
end

local function body(line, i)
  local timestamp, nonce, signature = line:match("(%S+) (%S+) (%S+)")
  local room = "room-" .. (i % 200)
  return '{"event":"stream_create","appid":"4001","timestamp":"' .. timestamp .. '","nonce":"' .. nonce ..
    '","signature":"' .. signature .. '","room_id":"' .. room .. '","room_session_id":"' .. (900000 + i % 200) ..
    '","user_id":"user-' .. nonce .. '","user_name":"user-' .. nonce .. '","channel_id":"' .. room ..
    '","stream_id":"stream-' .. nonce .. '","stream_sid":"sid-' .. nonce .. '","stream_alias":"stream-' .. nonce ..
    '","stream_seq":"1","create_time":"' .. timestamp .. '","create_time_ms":"' .. timestamp ..
    '123","recreate":"0","extra_info":"","title":"","stream_attr":"{\\"cid\\":0}","publish_id":"user-' .. nonce ..
    '","publish_name":"user-' .. nonce .. '","rtmp_url":["rtmp://example.invalid/live/stream-' .. nonce ..
    '"],"hls_url":["https://example.invalid/live/stream-' .. nonce .. '.m3u8"],"hdl_url":["https://example.invalid/live/stream-' ..
    nonce .. '.flv"],"pic_url":[]}'
end

function request()
  if index >= #lines then
    index = 0
    wraps = wraps + 1
  end
  local i = index
  index = index + 1
  return wrk.format("POST", path, headers, body(lines[i + 1], i))
end

function done(summary, latency, requests)
  local w = 0
  for _, thread in ipairs(threads) do w = w + thread:get("wraps") end
  local e = summary.errors
  io.write(string.format(
    '\nBENCH-JSON {"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"maxUs":%d,"non2xx":%d,"connectErrors":%d,"readErrors":%d,"writeErrors":%d,"timeouts":%d,"wraps":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout, w))
end
