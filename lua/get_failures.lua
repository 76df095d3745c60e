-- get_failures: the lockout check. Read-only; one call for all keys of a client.
--
-- KEYS[1..n]  client hashes (<prefix>:client:{...}), one per lockout parameter set;
--             under Redis Cluster all KEYS of one call share a hash slot
-- ARGV        none
--
-- Returns the highest "failures" field over KEYS; 0 when none of them exists
-- (never failed, reset, or cool-off expired).

local highest = 0
for _, key in ipairs(KEYS) do
  local failures = tonumber(redis.call('HGET', key, 'failures') or '0')
  if failures > highest then
    highest = failures
  end
end
return highest
