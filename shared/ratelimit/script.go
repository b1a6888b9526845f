package ratelimit

import (
	_ "embed"

	"github.com/redis/go-redis/v9"
)

// GCRALua is the GCRA core (gcra.lua). Other packages that rate-limit inside
// a larger script, such as authz's decision, prepend it to their body.
//
//go:embed gcra.lua
var GCRALua string

//go:embed allow.lua
var allowLua string

var allowScript = redis.NewScript(GCRALua + "\n" + allowLua)
