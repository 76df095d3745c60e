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
-- ARGV[2]        failure limit (integer >= 1), stored as the hash field "limit"
-- ARGV[3]        "1" to lock out at the limit (AXES_LOCK_OUT_AT_FAILURE), "0" never
-- ARGV[4]        the admitted guess this failure settles (admit.lua's ARGV[3]):
--                removed from the in-flight sets; "" when the guard admitted none
-- ARGV[5]        approximate MAXLEN of the trail stream, or "" for no trail entry
-- ARGV[6]        "1" to store "first" and the ARGV[7..] pairs on every key too,
--                "0" to give the pairs to the trail entry only and keep no "first"
--                (AXES_REDIS_METADATA = False: 16 bytes less per key, which takes
--                the hash's listpack down one allocator size class)
-- ARGV[7]        progressive lockout tiers (AXES_LOCKOUT_TIERS) as "failures:ms" pairs
--                joined by ",", ascending; "" for none. The cool-off of the highest tier
--                the new count has reached replaces ARGV[1], so the TTL always matches
--                the count, whatever runs in parallel; below the first tier ARGV[1] applies
-- ARGV[8]        retention in milliseconds for counts below the limit when ARGV[1] is
--                "" (AXES_REDIS_RETENTION): a sprayed client that never reaches the
--                limit expires instead of living for ever; a locked-out one persists.
--                "" keeps every count until it is reset
-- ARGV[9..]      field/value pairs for operators (username, ip_address, user_agent,
--                path_info), already capped in length: stored on every key (ARGV[6]),
--                and given to the trail entry after event=failure and locked_out=0|1
--
-- Hash fields written: failures (HINCRBY), last (Unix ms, server clock), limit,
-- and (ARGV[6] = "1") first (Unix ms, set once per count) and the ARGV[9..] pairs.
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
local highest = 0

local time = redis.call('TIME')
local now = string.format('%.0f', time[1] * 1000 + math.floor(time[2] / 1000))

local counts = {}
for i = 1, clients do
  counts[i] = redis.call('HINCRBY', KEYS[i], 'failures', 1)
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

for i = 1, clients do
  local key = KEYS[i]
  if ARGV[6] == '1' then
    redis.call('HSETNX', key, 'first', now)
    redis.call('HSET', key, 'last', now, 'limit', ARGV[2], unpack(ARGV, 9))
  else
    redis.call('HSET', key, 'last', now, 'limit', ARGV[2])
  end
  if cooloff == '' then
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
