-- record_failure: count one failed login for every lockout key of a client and
-- decide, inside Redis, whether the client is now locked out. One call per
-- failed login; atomic, so parallel failures can never be lost or double-read.
--
-- KEYS[1..n]  client hashes (<prefix>:client:{...}), one per lockout parameter set;
--             under Redis Cluster all KEYS of one call share a hash slot
-- ARGV[1]     cool-off in milliseconds, measured from this failure (PEXPIRE);
--             "" means no cool-off: the keys persist until they are reset
-- ARGV[2]     failure limit (integer >= 1), stored as the hash field "limit"
-- ARGV[3]     "1" to lock out at the limit (AXES_LOCK_OUT_AT_FAILURE), "0" never
-- ARGV[4..]   field/value pairs stored on every key for operators (username,
--             ip_address, user_agent, path_info), already capped in length
--
-- Hash fields written: failures (HINCRBY), first and last (Unix ms, server clock),
-- limit, and the ARGV[4..] pairs.
--
-- Returns {failures, locked}: the highest failure count over KEYS after this
-- failure, and 1 when locking is on and that count reached the limit, else 0.

local time = redis.call('TIME')
local now = string.format('%.0f', time[1] * 1000 + math.floor(time[2] / 1000))
local cooloff = ARGV[1]
local limit = tonumber(ARGV[2])
local highest = 0

for _, key in ipairs(KEYS) do
  local failures = redis.call('HINCRBY', key, 'failures', 1)
  if failures > highest then
    highest = failures
  end
  redis.call('HSETNX', key, 'first', now)
  redis.call('HSET', key, 'last', now, 'limit', ARGV[2], unpack(ARGV, 4))
  if cooloff == '' then
    redis.call('PERSIST', key)
  else
    redis.call('PEXPIRE', key, cooloff)
  end
end

local locked = 0
if ARGV[3] == '1' and highest >= limit then
  locked = 1
end
return {highest, locked}
