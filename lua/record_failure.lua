-- record_failure: count one failed login for every lockout key of a client and
-- decide, inside Redis, whether the client is locked out; settle the guess the
-- parallel guard admitted for it; optionally append the attempt to the login
-- trail. One call per failed login; atomic, so parallel failures can never be
-- lost, double-read or slip past the limit.
--
-- KEYS[1..n]     client hashes (<prefix>:client:{...}), one per lockout parameter set;
--                under Redis Cluster all client KEYS of one call share a hash slot
-- KEYS[n+1..2n]  their in-flight sets (<prefix>:inflight:{...}), in the same order,
--                present only when ARGV[4] is not ""
-- KEYS[last]     the login trail stream (<prefix>:trail), present only when ARGV[5]
--                is not "" (never on Redis Cluster, where it lives in another slot)
-- ARGV[1]        cool-off in milliseconds, measured from now (PEXPIRE);
--                "" means no cool-off: the keys persist until they are reset
-- ARGV[2]        failure limit (integer >= 1)
-- ARGV[3]        "1" to lock out at the limit (AXES_LOCK_OUT_AT_FAILURE), "0" never
-- ARGV[4]        the admitted guess this failure settles (admit.lua's ARGV[3]):
--                removed from the in-flight sets; "" when the guard admitted none
-- ARGV[5]        approximate MAXLEN of the trail stream, or "" for no trail entry
-- ARGV[6]        "1" to describe the client when it reaches the limit with the
--                ARGV[9..] pairs (AXES_REDIS_METADATA), "0" to give them to the
--                trail entry only
-- ARGV[7]        progressive lockout tiers (AXES_LOCKOUT_TIERS) as "failures:ms" pairs
--                joined by ",", ascending; "" for none. The cool-off of the highest tier
--                the new count has reached replaces ARGV[1], so the TTL always matches
--                the count, whatever runs in parallel; below the first tier ARGV[1] applies
-- ARGV[8]        retention in milliseconds for counts below the limit when ARGV[1] is
--                "" (AXES_REDIS_RETENTION): a sprayed client that never reaches the
--                limit expires instead of living for ever; a locked-out one persists.
--                "" keeps every count until it is reset
-- ARGV[9..]      field/value pairs for operators (username, ip_address, user_agent,
--                path_info), already capped in bytes: given to the trail entry after
--                event=failure and locked_out=0|1, and to the lock record (below)
--
-- Hash fields written. Every failure: fails, the count (HINCRBY), and the TTL
-- (PEXPIRE), so that a count below the limit is one small field (a short name:
-- keys.FAILURES_FIELD says why) and its TTL tells when it failed last. Once per key, by the failure that takes its count to the limit (the lock
-- record): limit and locked (Unix ms, server clock); on the first such key of the
-- call only, and with ARGV[6] = "1", the ARGV[9..] pairs the key name does not
-- already spell out (a digested "#..." value spells out nothing). A key that keeps
-- no TTL also gets last (Unix ms) at every failure: nothing else could tell it.
--
-- Returns {failures, locked, trail_id, cooloff}: the highest failure count over
-- the client keys after this call, 1 when locking is on and that count has
-- reached the limit, the ID of the trail entry written ("" when none was), and
-- the cool-off applied in milliseconds (-1: none, the keys persist).

local limit = tonumber(ARGV[2])
local lock_out = ARGV[3] == '1'
local guess = ARGV[4]
local trail_maxlen = ARGV[5]
local clients = #KEYS
if trail_maxlen ~= '' then
  clients = clients - 1
end
if guess ~= '' then
  clients = clients / 2
end

local counts = {}
local highest = 0
for i = 1, clients do
  counts[i] = redis.call('HINCRBY', KEYS[i], 'fails', 1)
  if counts[i] > highest then
    highest = counts[i]
  end
end

-- One cool-off for every key of the client: the tier its highest count reached.
local cooloff = ARGV[1]
for threshold, milliseconds in string.gmatch(ARGV[7], '(%d+):(%d+)') do
  if highest >= tonumber(threshold) then
    cooloff = milliseconds
  end
end
if cooloff == '' and not (lock_out and highest >= limit) then
  cooloff = ARGV[8]
end

local now
local function clock()
  if not now then
    local time = redis.call('TIME')
    now = string.format('%.0f', time[1] * 1000 + math.floor(time[2] / 1000))
  end
  return now
end

-- The pairs whose value the key name does not spell out: a parameter in the tag
-- (after "{" or "|") with a literal value is already there.
local function untold(key)
  local tag = '|' .. (string.match(key, '{([^{]*)}$') or '')
  local found = {}
  for i = 9, #ARGV, 2 do
    local at = string.find(tag, '|' .. ARGV[i] .. '=', 1, true)
    local held = at and string.sub(tag, at + #ARGV[i] + 2, at + #ARGV[i] + 2) ~= '#'
    if not held and ARGV[i + 1] ~= '' then
      found[#found + 1] = ARGV[i]
      found[#found + 1] = ARGV[i + 1]
    end
  end
  return found
end

local described = ARGV[6] ~= '1' or #ARGV < 9
for i = 1, clients do
  local key = KEYS[i]
  if counts[i] >= limit and redis.call('HSETNX', key, 'limit', ARGV[2]) == 1 then
    redis.call('HSET', key, 'locked', clock())
    if not described then
      described = true
      local told = untold(key)
      if #told > 0 then
        redis.call('HSET', key, unpack(told))
      end
    end
  end
  if cooloff == '' then
    redis.call('HSET', key, 'last', clock())
    redis.call('PERSIST', key)
  else
    redis.call('PEXPIRE', key, cooloff)
  end
end

-- After the count, so that a full Redis refuses the call at its first write.
if guess ~= '' then
  for i = 1, clients do
    redis.call('ZREM', KEYS[clients + i], guess)
  end
end

local locked = (lock_out and highest >= limit) and 1 or 0
local trail_id = ''
if trail_maxlen ~= '' then
  trail_id = redis.call('XADD', KEYS[#KEYS], 'MAXLEN', '~', trail_maxlen, '*',
    'event', 'failure', 'locked_out', tostring(locked), unpack(ARGV, 9))
end
return {highest, locked, trail_id, cooloff == '' and -1 or tonumber(cooloff)}
