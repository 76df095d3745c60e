-- admit: the parallel guard's check. Let one password evaluation start, or say
-- why not, in one call: a guess in flight holds a slot of the client's
-- AXES_FAILURE_LIMIT until it is settled (record_failure.lua or release.lua) or
-- its hold runs out, so confirmed failures + guesses in flight never exceed the
-- limit, whatever the concurrency. A guess in flight is never a failure.
--
-- KEYS[1..n]     client hashes (<prefix>:client:{...}), one per lockout parameter set
-- KEYS[n+1..2n]  their in-flight sets (<prefix>:inflight:{...}), in the same order;
--                under Redis Cluster all KEYS of one call share a hash slot
-- ARGV[1]        failure limit (integer >= 1)
-- ARGV[2]        hold in milliseconds: how long the guess keeps its slot if
--                nothing settles it (a crashed request, a lost thread)
-- ARGV[3]        the guess: a keyed digest of its credentials. A guess with the
--                very same credentials already in flight on every key is joined,
--                not given a second slot: it reveals nothing new
-- ARGV[4..]      earlier guesses of the same request known to have returned
--                without failing (never ARGV[3] itself): their slots do not count,
--                and they are removed from the in-flight sets
--
-- Returns {verdict, failures, ttl}: verdict 1 admitted (the guess is in every
-- set), 0 locked out (the highest failure count has reached the limit), 2 busy
-- (some key's failures + guesses in flight fill its slots: wait and ask again);
-- failures is the highest confirmed count (the "fails" field) over KEYS, ttl the
-- PTTL of the key holding it in milliseconds (-1: no cool-off, -2: no key). Only 1
-- adds anything, and then ZADD is its first write, so a full Redis (maxmemory,
-- noeviction) refuses it.

local n = #KEYS / 2
local limit = tonumber(ARGV[1])
local hold = tonumber(ARGV[2])
local guess = ARGV[3]

local failures = {}
local highest = 0
local ttl = -2
for i = 1, n do
  failures[i] = tonumber(redis.call('HGET', KEYS[i], 'fails') or '0')
  if failures[i] > highest then
    highest = failures[i]
    ttl = redis.call('PTTL', KEYS[i])
  end
end

-- Deletions only (never refused on a full Redis) unless a guess is admitted: then
-- ZADD is the first write, so Redis refuses it when maxmemory is reached (OOM).
local function forget_returned()
  if #ARGV > 3 then
    for i = 1, n do
      redis.call('ZREM', KEYS[n + i], unpack(ARGV, 4))
    end
  end
end

if highest >= limit then
  forget_returned()
  return {0, highest, ttl}
end

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local returned = {}
for i = 4, #ARGV do
  returned[ARGV[i]] = true
end
local joined = true
for i = 1, n do
  local deadline = redis.call('ZSCORE', KEYS[n + i], guess)
  if not deadline or tonumber(deadline) <= now then
    joined = false
  end
end
if not joined then
  for i = 1, n do
    local inflight = redis.call('ZCOUNT', KEYS[n + i], '(' .. now, '+inf')
    for member in pairs(returned) do
      local deadline = redis.call('ZSCORE', KEYS[n + i], member)
      if deadline and tonumber(deadline) > now then
        inflight = inflight - 1
      end
    end
    if failures[i] + inflight >= limit then
      forget_returned()
      return {2, highest, ttl}
    end
  end
end
for i = 1, n do
  redis.call('ZADD', KEYS[n + i], now + hold, guess)
  redis.call('PEXPIRE', KEYS[n + i], hold)
  redis.call('ZREMRANGEBYSCORE', KEYS[n + i], '-inf', now)
end
forget_returned()
return {1, highest, ttl}
