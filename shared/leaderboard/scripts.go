package leaderboard

import (
	_ "embed"

	"github.com/redis/go-redis/v9"
)

var (
	// libLua defines the constants and helpers every script below starts
	// with; readLua, those of the scripts that find players on a window.
	//go:embed lib.lua
	libLua string
	//go:embed read.lua
	readLua string
	//go:embed submit.lua
	submitLua string
	//go:embed top.lua
	topLua string
	//go:embed range.lua
	rangeLua string
	//go:embed around.lua
	aroundLua string
	//go:embed ranks.lua
	ranksLua string
	//go:embed delete.lua
	deleteLua string
	//go:embed settings.lua
	settingsLua string

	submitScript   = redis.NewScript(libLua + "\n" + submitLua)
	topScript      = redis.NewScript(libLua + "\n" + readLua + "\n" + topLua)
	rangeScript    = redis.NewScript(libLua + "\n" + readLua + "\n" + rangeLua)
	aroundScript   = redis.NewScript(libLua + "\n" + readLua + "\n" + aroundLua)
	ranksScript    = redis.NewScript(libLua + "\n" + readLua + "\n" + ranksLua)
	deleteScript   = redis.NewScript(libLua + "\n" + readLua + "\n" + deleteLua)
	settingsScript = redis.NewScript(libLua + "\n" + settingsLua)
)
