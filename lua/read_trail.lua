-- read_trail: one bounded step of the attack overview's walk down the login trail,
-- newest first. Read-only. Runs one XREVRANGE with the given bounds and COUNT and
-- returns only what the overview counts: a third of the reply the client would
-- otherwise parse (an entry also holds user_agent and path_info, and every field
-- comes with its name), which is most of a 100,000-entry read's time.
--
-- KEYS[1]  the login trail stream (<prefix>:trail)
-- ARGV[1]  highest stream ID to return, inclusive (XREVRANGE's end): the window's
--          end ("<Unix ms>"), then just below the oldest ID of the previous step
-- ARGV[2]  lowest stream ID to return, inclusive: the window's start ("<Unix ms>")
-- ARGV[3]  COUNT: entries this step reads at most (the caller keeps it at 1000 or
--          below, so one call stays around a millisecond)
--
-- Returns {read, oldest, id1, event1, locked1, username1, ip1, id2, ...}: how many
-- entries XREVRANGE returned, the ID of the oldest of them ("" when none: the walk
-- can go on below it), then five values for each failure or login among them
-- (logouts are left out): its ID, "failure" or "login", its locked_out ("1", "0", or
-- "" for a login), its username and its ip_address ("" when the entry has none).

local entries = redis.call('XREVRANGE', KEYS[1], ARGV[1], ARGV[2], 'COUNT', ARGV[3])
local out = {#entries, ''}
local n = 2
for _, entry in ipairs(entries) do
  local fields = entry[2]
  local event, locked, username, ip = '', '', '', ''
  for i = 1, #fields, 2 do
    local name = fields[i]
    if name == 'event' then
      event = fields[i + 1]
    elseif name == 'locked_out' then
      locked = fields[i + 1]
    elseif name == 'username' then
      username = fields[i + 1]
    elseif name == 'ip_address' then
      ip = fields[i + 1]
    end
  end
  if event == 'failure' or event == 'login' then
    out[n + 1] = entry[1]
    out[n + 2] = event
    out[n + 3] = locked
    out[n + 4] = username
    out[n + 5] = ip
    n = n + 5
  end
  out[2] = entry[1]
end
return out
