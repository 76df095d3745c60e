-- import_attempt: merge one tracked client carried over from django-axes' database
-- (the AccessAttempt rows that map to this key, summed by `axes_redis import-db`)
-- into its hash, so that a second import of the same rows changes nothing.
-- Never lowers what Redis already holds: the live handler may have counted
-- failures of its own on the key since the switch.
--
-- KEYS[1]   the client hash (<prefix>:client:{...}); one key per call, so the call
--           runs on Redis Cluster and a pipeline of calls can span every slot
-- ARGV[1]   failures to carry over (integer >= 1): "fails" becomes
--           max(stored, ARGV[1]); a sum would count the same rows twice on a rerun
-- ARGV[2]   failure limit, stored as "limit" when the hash has none yet (the
--           handler rewrites it at the client's next failure)
-- ARGV[3]   Unix ms of the oldest row: "first" becomes the earlier of the two
-- ARGV[4]   Unix ms of the newest row: "last" becomes the later of the two; when
--           the import's is later, the ARGV[7..] pairs replace the stored ones. A
--           key the handler made keeps no "last" (its TTL tells it): its failures
--           came after the switch, so it keeps its own
-- ARGV[5]   milliseconds of cool-off left, measured from now, or "" for none (the
--           key persists until it is reset). The longer of the stored TTL and this
--           one is kept; a TTL less than ARGV[6] ms longer than the stored one does
--           not count as longer, so that the clock ticking between two runs (and
--           the network delay) never makes a rerun rewrite the TTL
-- ARGV[6]   tolerance in milliseconds for the TTL comparison (see ARGV[5])
-- ARGV[7]   "1" to store "first" and the ARGV[8..] pairs, "0" for "fails",
--           "last" and "limit" only (AXES_REDIS_METADATA = False), as record_failure
-- ARGV[8..] field/value pairs of the newest row (username, ip_address, user_agent,
--           path_info), already capped in length
--
-- Returns 0 when the key was left as it was, 1 when it was created, 2 when it
-- existed and the call raised its count, moved "first"/"last" or lengthened its TTL.

local key = KEYS[1]
local failures = tonumber(ARGV[1])
local first = tonumber(ARGV[3])
local last = tonumber(ARGV[4])
local ttl = ARGV[5]
local tolerance = tonumber(ARGV[6])
local metadata = ARGV[7] == '1'

local function expire()
  if ttl == '' then
    redis.call('PERSIST', key)
  else
    redis.call('PEXPIRE', key, ttl)
  end
end

if redis.call('EXISTS', key) == 0 then
  redis.call('HSET', key, 'fails', failures, 'limit', ARGV[2], 'last', ARGV[4])
  if metadata then
    redis.call('HSET', key, 'first', ARGV[3])
    if #ARGV >= 8 then
      redis.call('HSET', key, unpack(ARGV, 8))
    end
  end
  expire()
  return 1
end

local changed = 0
local stored = tonumber(redis.call('HGET', key, 'fails') or '0')
if failures > stored then
  redis.call('HSET', key, 'fails', failures)
  changed = 2
end
if redis.call('HSETNX', key, 'limit', ARGV[2]) == 1 then
  changed = 2
end
-- A key the live handler wrote without "last" failed after the switch, later than
-- any row: its TTL tells when, and its own description stands.
local stored_last = redis.call('HGET', key, 'last')
if stored_last and last > tonumber(stored_last) then
  redis.call('HSET', key, 'last', ARGV[4])
  if metadata and #ARGV >= 8 then
    redis.call('HSET', key, unpack(ARGV, 8))
  end
  changed = 2
end
if metadata then
  local stored_first = redis.call('HGET', key, 'first')
  if not stored_first or first < tonumber(stored_first) then
    redis.call('HSET', key, 'first', ARGV[3])
    changed = 2
  end
end

-- The longer cool-off wins: -1 (no TTL) is the longest of all.
local left = redis.call('PTTL', key)
if left ~= -1 then
  if ttl == '' or tonumber(ttl) > left + tolerance then
    expire()
    changed = 2
  end
end
return changed
