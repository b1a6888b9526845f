-- Helpers shared by the cache scripts (prepended to each of them).
--
-- An entry is one hash, KEYS[1] of every script:
--   k   kind: 'v' a value, 'n' a cached "not found" (absent: a lease only)
--   v   the value
--   g   the namespace generation the value was loaded under ('' outside namespaces)
--   s   stale-until (unix ms): present once the value was invalidated; the
--       value is then served only as stale, and only until this time
--   t   lease token of the caller loading the entry
--   u   lease until (unix ms): other callers wait (or take the stale value)
--   lg  the generation the lease was granted under
-- A namespace's generation is a string key (KEYS[2]); a value or lease of
-- another generation is dead.

-- now_ms is Redis TIME in unix milliseconds.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- gen_from_clock is a fresh namespace generation: Redis TIME in microseconds,
-- above any counter a lost generation key could have reached.
local function gen_from_clock()
  local t = redis.call('TIME')
  return t[1] .. string.format('%06d', tonumber(t[2]))
end
