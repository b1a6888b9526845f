package cache

import (
	_ "embed"

	"github.com/redis/go-redis/v9"
)

var (
	//go:embed lib.lua
	libLua string
	//go:embed get.lua
	getLua string
	//go:embed fill.lua
	fillLua string
	//go:embed release.lua
	releaseLua string
	//go:embed invalidate.lua
	invalidateLua string
	//go:embed bump.lua
	bumpLua string

	getScript        = redis.NewScript(libLua + "\n" + getLua)
	fillScript       = redis.NewScript(fillLua)
	releaseScript    = redis.NewScript(releaseLua)
	invalidateScript = redis.NewScript(libLua + "\n" + invalidateLua)
	bumpScript       = redis.NewScript(libLua + "\n" + bumpLua)
)
