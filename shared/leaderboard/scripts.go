package leaderboard

import (
	_ "embed"

	"github.com/redis/go-redis/v9"
)

var (
	// libLua defines the helpers every script below starts with.
	//go:embed lib.lua
	libLua string
	//go:embed submit.lua
	submitLua string
	//go:embed top.lua
	topLua string
	//go:embed around.lua
	aroundLua string
	//go:embed delete.lua
	deleteLua string

	submitScript = redis.NewScript(libLua + "\n" + submitLua)
	topScript    = redis.NewScript(libLua + "\n" + topLua)
	aroundScript = redis.NewScript(libLua + "\n" + aroundLua)
	deleteScript = redis.NewScript(libLua + "\n" + deleteLua)
)
