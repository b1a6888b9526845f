-- get: read an entry; on a miss grant the caller a lease, or say who loads.
-- (Runs after lib.lua.)
-- KEYS[1] entry hash
-- KEYS[2] namespace generation (namespaced entries only)
-- ARGV[1] mode: 'l' GetOrLoad (may grant a lease), 'p' peek (read only)
-- ARGV[2] lease token (random, from the caller)
-- ARGV[3] lease ms
-- ARGV[4] '1' to return a stale value while another caller loads
-- Returns {0, kind, value} a hit ('v' value, 'n' not found); {1} a lease
-- granted to ARGV[2]; {2} another caller holds the lease; {2, value} the
-- same with the stale value; {3} a peek that found nothing current.
local gen = ''
if #KEYS > 1 then
  gen = redis.call('GET', KEYS[2])
  if not gen then
    if ARGV[1] == 'p' then return {3} end
    -- First use, or the key was deleted (a second delete of the namespace,
    -- eviction): start from the clock, so old entries never match again.
    gen = gen_from_clock()
    redis.call('SET', KEYS[2], gen)
  end
end
local e = redis.call('HMGET', KEYS[1], 'k', 'v', 'g', 's')
local kind, val, su = e[1], e[2], e[4]
if kind and (e[3] or '') ~= gen then kind = false end
if kind and not su then return {0, kind, val} end
if ARGV[1] == 'p' then return {3} end
-- A miss: someone holds the lease, or the caller gets it.
local now = now_ms()
local l = redis.call('HMGET', KEYS[1], 't', 'u', 'lg')
local tok, lu, lg = l[1], l[2], l[3]
local stale = kind == 'v' and su and tonumber(su) > now
if tok and tonumber(lu) > now and (lg or '') == gen then
  if stale and ARGV[4] == '1' then return {2, val} end
  return {2}
end
if stale then
  -- Keep the stale value for others; the entry must outlive the lease.
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl >= 0 and ttl < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
else
  redis.call('DEL', KEYS[1])
end
redis.call('HSET', KEYS[1], 't', ARGV[2], 'u', now + tonumber(ARGV[3]), 'lg', gen)
if not stale then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return {1}
