package queue

import (
	_ "embed"

	"github.com/lambdis/lambdis/shared/idempotency"
	"github.com/redis/go-redis/v9"
)

var (
	//go:embed lib.lua
	libLua string
	//go:embed enqueue.lua
	enqueueLua string
	//go:embed enqueuenow.lua
	enqueueNowLua string
	//go:embed settle.lua
	settleLua string
	//go:embed reclaim.lua
	reclaimLua string
	//go:embed giveback.lua
	givebackLua string
	//go:embed janitor.lua
	janitorLua string
	//go:embed redrive.lua
	redriveLua string
	//go:embed books.lua
	booksLua string
	//go:embed status.lua
	statusLua string
	//go:embed idemgc.lua
	idemgcLua string
	//go:embed wake.lua
	wakeLua string
	//go:embed fetch.lua
	fetchLua string
	//go:embed release.lua
	releaseLua string
	//go:embed oldest.lua
	oldestLua string

	// Enqueue keeps idempotency records with shared/idempotency's record
	// library: one record format, one claim logic. It needs nothing from
	// lib.lua: every call runs a script's whole preamble, so it carries none.
	enqueueScript = redis.NewScript(idempotency.LuaLib + "\n" + wakeLua + "\n" + enqueueLua)
	// Jobs due now without keys, the common case, skip the options and the
	// record library.
	enqueueNowScript = redis.NewScript(wakeLua + "\n" + enqueueNowLua)
	fetchScript      = redis.NewScript(libLua + "\n" + fetchLua)
	releaseScript    = redis.NewScript(releaseLua)
	oldestScript     = redis.NewScript(oldestLua)
	idemgcScript     = redis.NewScript(idempotency.LuaLib + "\n" + idemgcLua)
	settleScript     = redis.NewScript(libLua + "\n" + settleLua)
	reclaimScript    = redis.NewScript(libLua + "\n" + reclaimLua)
	redriveScript    = redis.NewScript(libLua + "\n" + redriveLua)
	givebackScript   = redis.NewScript(givebackLua)
	janitorScript    = redis.NewScript(janitorLua)
	booksScript      = redis.NewScript(booksLua)
	statusScript     = redis.NewScript(statusLua)
)
