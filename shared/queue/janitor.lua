-- janitor: remove consumers that are idle and own nothing (a consumer that
-- still has pending entries is never removed: they would become unclaimable).
-- KEYS[1] stream
-- ARGV[1] group; ARGV[2] idle ms
-- Returns the number of consumers removed.
local ok, consumers = pcall(redis.call, 'XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
if not ok then return 0 end
local removed = 0
for _, c in ipairs(consumers) do
  local f = {}
  for i = 1, #c, 2 do f[c[i]] = c[i + 1] end
  if tonumber(f.pending) == 0 and tonumber(f.idle) > tonumber(ARGV[2]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], f.name)
    removed = removed + 1
  end
end
return removed
