-- GCRA core shared by every Lambdis script that rate-limits (ratelimit's
-- allow.lua and authz's decide.lua are this file followed by their body).
-- It defines one local function and touches no key by itself.
--
-- gcra(first_key, first_arg, n, cost, now, vals) evaluates n policies
-- all-or-nothing; vals is the caller's MGET of KEYS (one read for the whole
-- script), so vals[first_key+i-1] is the state of policy i:
--   KEYS[first_key+i-1]        GCRA state of policy i: the theoretical arrival
--                              time (TAT) in microseconds of Redis TIME
--   ARGV[first_arg+2*(i-1)]    emission interval of policy i in microseconds
--                              (period / rate, may be fractional)
--   ARGV[first_arg+2*(i-1)+1]  burst of policy i (requests admitted at once)
--   cost                       requests this call spends (0 = peek)
--   now                        Redis TIME in microseconds since 2025-01-01
--                              (see clock below; small numbers keep doubles exact)
-- Either every policy admits and every key is charged, or nothing is written.
-- Returns {allowed (1|0), first denying policy (1-based, 0 if none), then per
-- policy: remaining, retry_after_us (-1 = never: cost > burst), reset_after_us}.
-- When the call is denied, an admitting policy reports its uncharged state.
-- clock() returns Redis TIME as (microseconds since 2025-01-01, unix seconds,
-- unix milliseconds).
local function clock()
  local t = redis.call('TIME')
  local sec, usec = tonumber(t[1]), tonumber(t[2])
  return (sec - 1735689600) * 1000000 + usec, sec, sec * 1000 + math.floor(usec / 1000)
end

-- floor that forgives the float error of a quotient that should be whole
local function whole(x)
  return math.floor(x + 0.001)
end

local function gcra(first_key, first_arg, n, cost, now, vals)
  local out = {1, 0}
  local charge = {}
  local uncharged = {}
  for i = 1, n do
    local interval = tonumber(ARGV[first_arg + 2 * (i - 1)])
    local burst = tonumber(ARGV[first_arg + 2 * (i - 1) + 1])
    local tat = tonumber(vals[first_key + i - 1] or 0) or 0
    if tat < now then tat = now end
    local span = burst * interval
    local new_tat = tat + cost * interval
    local allow_at = new_tat - span
    local remaining, retry_after, reset_after
    if cost > burst then
      remaining = whole((span - (tat - now)) / interval)
      retry_after, reset_after = -1, tat - now
      if out[2] == 0 then out[1], out[2] = 0, i end
    elseif allow_at <= now then
      remaining = whole((span - (new_tat - now)) / interval)
      retry_after, reset_after = 0, new_tat - now
      charge[i] = new_tat
      uncharged[i] = {whole((span - (tat - now)) / interval), tat - now}
    else
      remaining = whole((span - (tat - now)) / interval)
      retry_after, reset_after = math.ceil(allow_at - now), tat - now
      if out[2] == 0 then out[1], out[2] = 0, i end
    end
    if remaining < 0 then remaining = 0 end
    out[#out + 1] = remaining
    out[#out + 1] = retry_after
    out[#out + 1] = math.ceil(reset_after)
  end
  if out[1] == 0 then
    -- denied: nothing is charged, so report the admitting policies as they are
    for i, u in pairs(uncharged) do
      out[3 * i] = u[1]
      out[3 * i + 2] = math.ceil(u[2])
    end
  elseif cost > 0 then
    for i = 1, n do
      local ttl_ms = math.ceil((charge[i] - now) / 1000)
      if ttl_ms < 1 then ttl_ms = 1 end
      redis.call('SET', KEYS[first_key + i - 1], math.ceil(charge[i]), 'PX', ttl_ms)
    end
  end
  return out
end
