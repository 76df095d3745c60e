-- release: settle guesses that did not fail (a successful login, or a request
-- whose view returned without a failure): take them out of the in-flight sets,
-- so their slots are free at once; or forget the client (AXES_RESET_ON_SUCCESS);
-- optionally append the successful login to the login trail. One call.
--
-- KEYS[1..n]     client hashes (<prefix>:client:{...}); n may be 0
-- KEYS[n+1..2n]  their in-flight sets (<prefix>:inflight:{...}), in the same order
-- KEYS[last]     the login trail stream (<prefix>:trail), present only when ARGV[2]
--                is not "" (never on Redis Cluster, where it lives in another slot)
-- ARGV[1]        "release": leave the failure counts alone; "forget": also delete
--                the client hashes
-- ARGV[2]        approximate MAXLEN of the trail stream, or "" for no trail entry
-- ARGV[3]        k, how many guesses follow
-- ARGV[4..3+k]   the guesses (admit.lua's ARGV[3]), removed from every in-flight set
-- ARGV[4+k..]    field/value pairs of a trail entry to append (event=login, who and
--                where); none: nothing is appended
--
-- Returns how many client hashes were deleted ("forget"), else 0.

local clients = #KEYS
if ARGV[2] ~= '' then
  clients = clients - 1
end
clients = clients / 2
local settled = tonumber(ARGV[3])

local deleted = 0
for i = 1, clients do
  if settled > 0 then
    redis.call('ZREM', KEYS[clients + i], unpack(ARGV, 4, 3 + settled))
  end
  if ARGV[1] == 'forget' then
    deleted = deleted + redis.call('DEL', KEYS[i])
  end
end

if ARGV[2] ~= '' and #ARGV > 3 + settled then
  redis.call('XADD', KEYS[#KEYS], 'MAXLEN', '~', ARGV[2], '*', unpack(ARGV, 4 + settled))
end
return deleted
