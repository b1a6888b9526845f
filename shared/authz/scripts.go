package authz

import (
	_ "embed"

	"github.com/lambdis/lambdis/shared/ratelimit"
	"github.com/redis/go-redis/v9"
)

var (
	//go:embed decide.lua
	decideLua string
	//go:embed revoke_all.lua
	revokeAllLua string

	decideScript    = redis.NewScript(ratelimit.GCRALua + "\n" + decideLua)
	revokeAllScript = redis.NewScript(revokeAllLua)
)
