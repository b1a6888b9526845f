package idempotency

import (
	_ "embed"

	"github.com/redis/go-redis/v9"
)

// LuaLib is the record library as Lua source: idem_claim, idem_complete and
// idem_release (see lib.lua for their arguments and replies). Scripts of
// other packages that keep idempotency records prepend it, so that every
// record in Lambdis has one format and one claim logic; shared/queue's
// enqueue does. The caller passes every record key in KEYS.
//
//go:embed lib.lua
var LuaLib string

var (
	//go:embed claim.lua
	claimLua string
	//go:embed complete.lua
	completeLua string
	//go:embed release.lua
	releaseLua string

	claimScript    = redis.NewScript(LuaLib + "\n" + claimLua)
	completeScript = redis.NewScript(LuaLib + "\n" + completeLua)
	releaseScript  = redis.NewScript(LuaLib + "\n" + releaseLua)
)

// Replies of idem_claim.
const (
	codeClaimed    = 0
	codeReplay     = 1
	codeInProgress = 2
	codeMismatch   = 3
)
