-- get_failures: the lockout check. Read-only; one call for all keys of a client.
--
-- KEYS[1..n]  client hashes (<prefix>:client:{...}), one per lockout parameter set;
--             under Redis Cluster all KEYS of one call share a hash slot
-- ARGV        none
--
-- Returns {failures, ttl}: the highest "fails" field over KEYS (0 when none of
-- them exists: never failed, reset, or cool-off expired) and the PTTL of the key
-- holding it in milliseconds (-1: no cool-off, -2: no key), so that a lockout
-- found here can say exactly when it ends (Retry-After).

local highest = 0
local ttl = -2
for _, key in ipairs(KEYS) do
  local failures = tonumber(redis.call('HGET', key, 'fails') or '0')
  if failures > highest then
    highest = failures
    ttl = redis.call('PTTL', key)
  end
end
return {highest, ttl}
