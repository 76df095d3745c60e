-- release: take back a guess that admit.lua counted, once the request has shown it
-- was not a failure (a successful login, or a request that ended without one).
--
-- KEYS[1..n]  the client hashes the guess was admitted on
-- ARGV        none
--
-- Returns how many keys were decremented. A key whose count is already 0 or gone
-- (reset, cool-off expired) is left alone; a key that drops to 0 is deleted, so
-- a released guess leaves nothing behind.

local released = 0
for _, key in ipairs(KEYS) do
  local failures = tonumber(redis.call('HGET', key, 'failures') or '0')
  if failures > 0 then
    released = released + 1
    if redis.call('HINCRBY', key, 'failures', -1) <= 0 then
      redis.call('DEL', key)
    end
  end
end
return released
