-- GCRA core shared by every Lambdis script that rate-limits (ratelimit's
-- allow.lua, authz's and session's decide.lua are this file followed by their
-- body). It defines local functions and touches no key by itself.
--
-- clock() returns Redis TIME in microseconds since 2025-01-01 (small numbers
-- keep doubles exact).
--
-- A subject's state is one string key: the theoretical arrival time (TAT) of
-- every policy it was charged under, in microseconds of clock(),
--   " <name>=<tat> <name>=<tat> ..."
-- A TAT in the past means a full burst, the same as no entry: a write keeps
-- only entries still ahead of now, and the key expires when its last TAT
-- passes. Entries of policies the call does not name (another route's limits
-- on the same subject) are kept as they are.
--
-- gcra(out, key, state, first_arg, n, cost, now) evaluates n policies
-- all-or-nothing and appends its reply to out (which holds one slot for the
-- caller's reason code). state is the caller's read of key (false if none):
--   ARGV[first_arg+3*(i-1)]    name of policy i ([a-z0-9_-])
--   ARGV[first_arg+3*(i-1)+1]  emission interval of policy i in microseconds
--                              (period / rate, may be fractional)
--   ARGV[first_arg+3*(i-1)+2]  burst of policy i (requests admitted at once)
--   cost                       requests this call spends (0 = peek)
-- Either every policy admits and key is written once with every charge, or
-- nothing is written. Appends {allowed (1|0), first denying policy (1-based,
-- 0 if none), then per policy: remaining, retry_after_us (-1 = never: cost >
-- burst), reset_after_us}. When the call is denied, an admitting policy
-- reports its uncharged state.
local floor, ceil, find, sub, format = math.floor, math.ceil, string.find, string.sub, string.format

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

local function gcra(out, key, state, first_arg, n, cost, now)
  local head = #out + 1
  out[head], out[head + 1] = 1, 0
  -- tats[i]: policy i's TAT before the call; tats[n + i]: after, if admitted
  local tats, found = {}, 0
  for i = 1, n do
    local a = first_arg + 3 * i - 3
    local interval, burst = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
    local tat = now
    if state then
      local entry = ' ' .. ARGV[a] .. '='
      local at = find(state, entry, 1, true)
      if at then
        local from = at + #entry
        local to = (find(state, ' ', from, true) or #state + 1) - 1
        found = found + #entry + to - from + 1
        local t = tonumber(sub(state, from, to))
        if t and t > now then tat = t end
      end
    end
    local span = burst * interval
    local new_tat = tat + cost * interval
    local o = head + 3 * i - 1
    tats[i] = tat
    if cost <= burst and new_tat - span <= now then
      out[o], out[o + 1], out[o + 2] = left(span, new_tat, now, interval), 0, ceil(new_tat - now)
      tats[n + i] = new_tat
    else
      local retry = -1
      if cost <= burst then retry = ceil(new_tat - span - now) end
      out[o], out[o + 1], out[o + 2] = left(span, tat, now, interval), retry, ceil(tat - now)
      if out[head + 1] == 0 then out[head], out[head + 1] = 0, i end
    end
  end
  if out[head] == 0 then
    -- denied: nothing is charged, so report the admitting policies as they are
    for i = 1, n do
      if tats[n + i] then
        local a, o = first_arg + 3 * i - 3, head + 3 * i - 1
        local interval = tonumber(ARGV[a + 1])
        out[o], out[o + 2] = left(tonumber(ARGV[a + 2]) * interval, tats[i], now, interval), ceil(tats[i] - now)
      end
    end
    return out
  end
  if cost == 0 then return out end
  local value, last = '', now
  for i = 1, n do
    local tat = tats[n + i]
    value = value .. ' ' .. ARGV[first_arg + 3 * i - 3] .. '=' .. format('%.17g', tat)
    if tat > last then last = tat end
  end
  if state and found < #state then
    -- other policies' entries: keep those still ahead of now
    for name, text in string.gmatch(state, ' ([^= ]+)=([^ ]+)') do
      local mine = false
      for i = 1, n do
        if ARGV[first_arg + 3 * i - 3] == name then mine = true break end
      end
      local tat = tonumber(text)
      if not mine and tat and tat > now then
        value = value .. ' ' .. name .. '=' .. text
        if tat > last then last = tat end
      end
    end
  end
  local ttl_ms = ceil((last - now) / 1000)
  if ttl_ms < 1 then ttl_ms = 1 end
  redis.call('SET', key, value, 'PX', ttl_ms)
  return out
end
