-- record_failure: count one failed login (or one guess about to be evaluated) for
-- every lockout key of a client and decide, inside Redis, whether the client is
-- locked out. One call per failed login; atomic, so parallel guesses can never
-- be lost, double-read or slip past the limit.
--
-- KEYS[1..n]  client hashes (<prefix>:client:{...}), one per lockout parameter set;
--             under Redis Cluster all KEYS of one call share a hash slot
-- ARGV[1]     cool-off in milliseconds, measured from now (PEXPIRE);
--             "" means no cool-off: the keys persist until they are reset
-- ARGV[2]     failure limit (integer >= 1), stored as the hash field "limit"
-- ARGV[3]     "1" to lock out at the limit (AXES_LOCK_OUT_AT_FAILURE), "0" never
-- ARGV[4]     "record": count unconditionally (a failure that happened);
--             "admit": count only while below the limit (a guess asking to be
--             evaluated; refused without any write once the limit is reached)
-- ARGV[5..]   field/value pairs stored on every key for operators (username,
--             ip_address, user_agent, path_info), already capped in length
--
-- Hash fields written: failures (HINCRBY), first and last (Unix ms, server clock),
-- limit, and the ARGV[5..] pairs.
--
-- Returns {failures, counted, locked}: the highest failure count over KEYS after
-- this call, 1 if this call counted (always for "record"), and 1 when locking is
-- on and that count has reached the limit.

local limit = tonumber(ARGV[2])
local lock_out = ARGV[3] == '1'
local highest = 0

if ARGV[4] == 'admit' then
  for _, key in ipairs(KEYS) do
    local failures = tonumber(redis.call('HGET', key, 'failures') or '0')
    if failures > highest then
      highest = failures
    end
  end
  if highest >= limit then
    return {highest, 0, lock_out and 1 or 0}
  end
  highest = 0
end

local time = redis.call('TIME')
local now = string.format('%.0f', time[1] * 1000 + math.floor(time[2] / 1000))
local cooloff = ARGV[1]

for _, key in ipairs(KEYS) do
  local failures = redis.call('HINCRBY', key, 'failures', 1)
  if failures > highest then
    highest = failures
  end
  redis.call('HSETNX', key, 'first', now)
  redis.call('HSET', key, 'last', now, 'limit', ARGV[2], unpack(ARGV, 5))
  if cooloff == '' then
    redis.call('PERSIST', key)
  else
    redis.call('PEXPIRE', key, cooloff)
  end
end

return {highest, 1, (lock_out and highest >= limit) and 1 or 0}
