package redischeck

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// clockWarnSkew is the |Redis TIME - local clock| above which the clock
// check warns.
const clockWarnSkew = time.Second

//go:embed probe.lua
var probeSource string

// probe has the shape of the Lambdis scripts: one declared key with a hash
// tag, the time read from Redis. It writes nothing.
var probe = redis.NewScript(probeSource)

// checkScripting runs a script shaped like the Lambdis scripts on the node
// that owns the probe key's slot.
func checkScripting(ctx context.Context, r *Report, rdb redis.UniversalClient, key string) {
	res, err := probe.Run(ctx, rdb, []string{key}).Slice()
	if err != nil {
		r.Add(Fail, "scripting", "EVAL of a one-key script on %s: %v%s (every Lambdis decision is one script)", key, err, ErrorHint(err))
		return
	}
	if len(res) != 3 {
		r.Add(Fail, "scripting", "EVAL of a one-key script on %s answered %v, want the server TIME", key, res)
		return
	}
	r.Add(OK, "scripting", "EVAL of a one-key script reading TIME ran (key %s, nothing written)", key)
}

// checkClock compares Redis TIME with this machine's clock, from the middle
// of the round trip.
func checkClock(ctx context.Context, r *Report, rdb redis.UniversalClient) {
	before := time.Now()
	rt, err := rdb.Time(ctx).Result()
	if err != nil {
		r.Add(Fail, "clock", "TIME: %v%s", err, ErrorHint(err))
		return
	}
	rtt := time.Since(before)
	skew := rt.Sub(before.Add(rtt / 2))
	dir, abs := "ahead of", skew
	if skew < 0 {
		dir, abs = "behind", -skew
	}
	d := fmt.Sprintf("Redis TIME is %s %s this machine's clock (±%s)", RoundDuration(abs), dir, RoundDuration(rtt/2))
	if abs <= rtt/2 {
		d = fmt.Sprintf("Redis TIME agrees with this machine's clock (within ±%s)", RoundDuration(rtt/2))
	}
	if abs > clockWarnSkew {
		r.Add(Warn, "clock", "%s, more than %s: Lambdis takes every time from Redis, but timestamps people compare with local logs will disagree", d, clockWarnSkew)
		return
	}
	r.Add(OK, "clock", "%s; Lambdis takes every time from Redis", d)
}
