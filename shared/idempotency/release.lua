-- release: drop an owned claim so that the next request runs.
-- (Runs after lib.lua.)
-- KEYS[1] record
-- ARGV[1] owner token
-- Returns 1, or 0 when the claim is no longer the caller's.
return idem_release(KEYS[1], ARGV[1])
