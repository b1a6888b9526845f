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
	//go:embed peek.lua
	peekLua string

	decideScript    = redis.NewScript(ratelimit.GCRALua + "\n" + decideLua)
	revokeAllScript = redis.NewScript(revokeAllLua)
	peekScript      = redis.NewScript(ratelimit.GCRALua + "\n" + peekLua)
)
