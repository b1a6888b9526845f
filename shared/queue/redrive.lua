-- redrive: put dead jobs back on the work stream with a fresh set of attempts.
-- (Runs after lib.lua.)
-- KEYS[1] stream  KEYS[2] dead  KEYS[3] meta  KEYS[4] stats  KEYS[5] expiry
-- ARGV[1..] dead-letter entry ids
-- Returns the job ids redriven.
local now = now_ms()
local out = {}
for _, did in ipairs(ARGV) do
  local e = redis.call('XRANGE', KEYS[2], did, did)
  if e[1] then
    local f = entry_fields(e[1][2])
    local eid = redis.call('XADD', KEYS[1], '*', 'id', f.id, 'type', f.type, 'payload', f.payload, 'attempt', 1, 'max', f.max)
    redis.call('XDEL', KEYS[2], did)
    redis.call('ZREM', KEYS[5], f.id)
    update_record(KEYS[3], f.id, {state = 'queued', attempts = 0, updated_ms = now, finished_ms = 0, entry = eid})
    out[#out + 1] = f.id
  end
end
if #out > 0 then redis.call('HINCRBY', KEYS[4], 'redriven', #out) end
return out
