package session

import (
	_ "embed"

	"github.com/lambdis/lambdis/shared/ratelimit"
	"github.com/redis/go-redis/v9"
)

var (
	//go:embed session.lua
	sessionLua string
	//go:embed create.lua
	createLua string
	//go:embed get.lua
	getLua string
	//go:embed update.lua
	updateLua string
	//go:embed destroy.lua
	destroyLua string
	//go:embed destroy_all.lua
	destroyAllLua string
	//go:embed decide.lua
	decideLua string
	//go:embed list.lua
	listLua string
	//go:embed destroy_others.lua
	destroyOthersLua string

	createScript        = redis.NewScript(sessionLua + "\n" + createLua)
	getScript           = redis.NewScript(sessionLua + "\n" + getLua)
	updateScript        = redis.NewScript(sessionLua + "\n" + updateLua)
	destroyScript       = redis.NewScript(destroyLua)
	destroyAllScript    = redis.NewScript(destroyAllLua)
	decideScript        = redis.NewScript(ratelimit.GCRALua + "\n" + sessionLua + "\n" + decideLua)
	listScript          = redis.NewScript(sessionLua + "\n" + listLua)
	destroyOthersScript = redis.NewScript(destroyOthersLua)
)
