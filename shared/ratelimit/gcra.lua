-- GCRA core shared by every Lambdis script that rate-limits (ratelimit's
-- allow.lua and authz's decide.lua are this file followed by their body).
-- It defines local functions and touches no key by itself.
--
-- clock() returns Redis TIME in microseconds since 2025-01-01 (small numbers
-- keep doubles exact).
--
-- gcra(out, first_key, first_arg, n, cost, now, vals) evaluates n policies
-- all-or-nothing and appends its reply to out (which holds one slot for the
-- caller's reason code). vals is the caller's MGET of KEYS (one read for the
-- whole script):
--   vals[first_key+i-1]        GCRA state of policy i: its theoretical arrival
--                              time (TAT) in microseconds of clock()
--   ARGV[first_arg+2*(i-1)]    emission interval of policy i in microseconds
--                              (period / rate, may be fractional)
--   ARGV[first_arg+2*(i-1)+1]  burst of policy i (requests admitted at once)
--   cost                       requests this call spends (0 = peek)
-- Either every policy admits and every key is charged, or nothing is written.
-- Appends {allowed (1|0), first denying policy (1-based, 0 if none), then per
-- policy: remaining, retry_after_us (-1 = never: cost > burst), reset_after_us}.
-- When the call is denied, an admitting policy reports its uncharged state.
local floor, ceil = math.floor, math.ceil

local function clock()
  local t = redis.call('TIME')
  return (tonumber(t[1]) - 1735689600) * 1000000 + tonumber(t[2])
end

-- left is the number of requests admissible now given a TAT: never negative
-- (a TAT beyond the span, e.g. after a burst was lowered, means none), and
-- floored with a margin that forgives the float error of a whole quotient.
local function left(span, tat, now, interval)
  local n = floor((span - tat + now) / interval + 0.001)
  if n < 0 then return 0 end
  return n
end

local function gcra(out, first_key, first_arg, n, cost, now, vals)
  local head = #out + 1
  out[head], out[head + 1] = 1, 0
  local tats, charged = {}, {}
  for i = 1, n do
    local a = first_arg + 2 * i - 2
    local interval, burst = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
    local tat = tonumber(vals[first_key + i - 1]) or now
    if tat < now then tat = now end
    local span = burst * interval
    local new_tat = tat + cost * interval
    local o = head + 3 * i - 1
    tats[i] = tat
    if cost <= burst and new_tat - span <= now then
      out[o], out[o + 1], out[o + 2] = left(span, new_tat, now, interval), 0, ceil(new_tat - now)
      charged[i] = new_tat
    else
      local retry = -1
      if cost <= burst then retry = ceil(new_tat - span - now) end
      out[o], out[o + 1], out[o + 2] = left(span, tat, now, interval), retry, ceil(tat - now)
      if out[head + 1] == 0 then out[head], out[head + 1] = 0, i end
    end
  end
  if out[head] == 0 then
    -- denied: nothing is charged, so report the admitting policies as they are
    for i, _ in pairs(charged) do
      local o = head + 3 * i - 1
      local interval = tonumber(ARGV[first_arg + 2 * i - 2])
      local span = tonumber(ARGV[first_arg + 2 * i - 1]) * interval
      out[o], out[o + 2] = left(span, tats[i], now, interval), ceil(tats[i] - now)
    end
  elseif cost > 0 then
    for i = 1, n do
      local ttl_ms = ceil((charged[i] - now) / 1000)
      if ttl_ms < 1 then ttl_ms = 1 end
      -- Redis 7 formats numbers with %.17g: the TAT round-trips exactly
      redis.call('SET', KEYS[first_key + i - 1], charged[i], 'PX', ttl_ms)
    end
  end
  return out
end
