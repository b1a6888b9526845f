package authz

import (
	_ "embed"

	"github.com/lambdis/lambdis/shared/ratelimit"
	"github.com/redis/go-redis/v9"
)

var (
	//go:embed decide.lua
	decideLua string
	//go:embed revoke.lua
	revokeLua string
	//go:embed revoke_all.lua
	revokeAllLua string

	decideScript    = redis.NewScript(ratelimit.GCRALua + "\n" + decideLua)
	revokeScript    = redis.NewScript(revokeLua)
	revokeAllScript = redis.NewScript(revokeAllLua)
)
