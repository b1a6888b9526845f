-- destroy_all: end every session of a subject at once.
-- KEYS[1]  session index
-- Deleting the index ends them all (a session is valid only while listed);
-- returns the handles it listed so that the caller can delete their hashes.
local out = redis.call('ZRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1])
return out
