-- release: settle a request that did not fail. Either give back a guess that
-- record_failure.lua counted in "admit" mode (a successful login, or a request
-- that ended without a failure), or forget the client (AXES_RESET_ON_SUCCESS);
-- optionally take the guess's failure entry out of the login trail and append
-- the successful login to it. One call per successful login.
--
-- KEYS[1..n]  the client hashes the guess was admitted on (or, for "forget",
--             every key of the client); n may be 0
-- KEYS[n+1]   the login trail stream (<prefix>:trail), present only when ARGV[2]
--             is not "" (never on Redis Cluster, where it lives in another slot)
-- ARGV[1]     "release": take one guess back from each key; a key whose count is
--             already 0 or gone (reset, cool-off expired) is left alone, a key
--             that drops to 0 is deleted, so a released guess leaves nothing;
--             "forget": delete the keys
-- ARGV[2]     approximate MAXLEN of the trail stream, or "" for no trail change
-- ARGV[3]     k, how many trail entry IDs follow (the failure entries that the
--             admitted guesses wrote, now known not to be failures)
-- ARGV[4..3+k] those IDs, deleted from the trail
-- ARGV[4+k..] field/value pairs of a trail entry to append (event=login, who and
--             where); none: nothing is appended
--
-- Returns how many keys were decremented ("release") or deleted ("forget").

local clients = #KEYS
if ARGV[2] ~= '' then
  clients = clients - 1
end

local settled = 0
for i = 1, clients do
  local key = KEYS[i]
  if ARGV[1] == 'forget' then
    settled = settled + redis.call('DEL', key)
  else
    local failures = tonumber(redis.call('HGET', key, 'failures') or '0')
    if failures > 0 then
      settled = settled + 1
      if redis.call('HINCRBY', key, 'failures', -1) <= 0 then
        redis.call('DEL', key)
      end
    end
  end
end

if ARGV[2] ~= '' then
  local trail = KEYS[#KEYS]
  local stale = tonumber(ARGV[3])
  if stale > 0 then
    redis.call('XDEL', trail, unpack(ARGV, 4, 3 + stale))
  end
  if #ARGV > 3 + stale then
    redis.call('XADD', trail, 'MAXLEN', '~', ARGV[2], '*', unpack(ARGV, 4 + stale))
  end
end
return settled
