-- oldest: when the oldest job of a queue waiting for a worker became due:
-- the first entry after the group's last delivered one, or the oldest entry
-- given back unstarted, whichever is older.
-- KEYS[1] stream
-- ARGV[1] group; ARGV[2] the given-back consumer
-- Returns that time in unix ms (its entry id's), 0 when none is waiting.
local function ms(id) return tonumber(string.match(id, '^(%d+)')) end
local oldest = 0
local ok, groups = pcall(redis.call, 'XINFO', 'GROUPS', KEYS[1])
if not ok then return 0 end
for _, g in ipairs(groups) do
  local f = {}
  for i = 1, #g, 2 do f[g[i]] = g[i + 1] end
  if f.name == ARGV[1] then
    local next = redis.call('XRANGE', KEYS[1], '(' .. f['last-delivered-id'], '+', 'COUNT', 1)
    if next[1] then oldest = ms(next[1][1]) end
    local back = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
    if back[1] and (oldest == 0 or ms(back[1][1]) < oldest) then oldest = ms(back[1][1]) end
    return oldest
  end
end
-- no group yet: every entry waits
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
if first[1] then oldest = ms(first[1][1]) end
return oldest
