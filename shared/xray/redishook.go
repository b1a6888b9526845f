package xray

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// maxCommands bounds the command names one subsegment lists (a pipeline of
// thousands would exceed a datagram); Metadata's "count" has the total.
const maxCommands = 64

// maxMessage bounds an error's text in a subsegment, so that a long error
// still fits a datagram.
const maxMessage = 1024

// sender is what RedisHook sends subsegments through (*emitter).
type sender interface {
	Send(*Subsegment) error
}

// RedisHook is a go-redis hook that sends one "redis" subsegment per command
// and per pipeline (or transaction) of a sampled invocation.
type RedisHook struct {
	sender sender
	log    *slog.Logger
	warned atomic.Bool // one WARN per container for a failed send, not one per call
}

// newRedisHook returns a hook sending through s; failed sends are logged
// once, at WARN, on log (nil: not logged).
func newRedisHook(s sender, log *slog.Logger) *RedisHook {
	return &RedisHook{sender: s, log: log}
}

// Instrument adds a RedisHook to rdb when getenv(AWS_XRAY_DAEMON_ADDRESS)
// names a daemon, as it does inside Lambda, and does nothing otherwise. It
// returns whether it did.
func Instrument(rdb redis.UniversalClient, getenv func(string) string, log *slog.Logger) (bool, error) {
	addr := getenv(EnvDaemonAddress)
	if strings.TrimSpace(addr) == "" {
		return false, nil
	}
	e, err := newEmitter(addr)
	if err != nil {
		return false, err
	}
	rdb.AddHook(newRedisHook(e, log))
	return true, nil
}

// DialHook does not trace dials: a dial happens within a command, whose
// subsegment covers it.
func (h *RedisHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		return next(ctx, network, addr)
	}
}

// ProcessHook traces one command.
func (h *RedisHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		th, ok := sampled(ctx)
		if !ok {
			return next(ctx, cmd)
		}
		start := time.Now()
		err := next(ctx, cmd)
		h.send(th, start, []redis.Cmder{cmd}, err)
		return err
	}
}

// ProcessPipelineHook traces a pipeline or a MULTI/EXEC transaction as one
// subsegment: it is one round trip.
func (h *RedisHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		th, ok := sampled(ctx)
		if !ok {
			return next(ctx, cmds)
		}
		start := time.Now()
		err := next(ctx, cmds)
		h.send(th, start, cmds, pipelineError(err, cmds))
		return err
	}
}

// pipelineError is what a pipeline's subsegment reports: go-redis returns
// the first command's error, redis.Nil (a missing key, an answer) included,
// so a later command's real error is looked for in every command.
func pipelineError(err error, cmds []redis.Cmder) error {
	if err == nil || errors.Is(err, redis.Nil) {
		return firstError(cmds)
	}
	return err
}

// firstError is the first error of a pipeline's commands other than
// redis.Nil.
func firstError(cmds []redis.Cmder) error {
	for _, c := range cmds {
		if err := c.Err(); err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
	}
	return nil
}

// send builds and sends the subsegment of cmds, which ran from start to now.
func (h *RedisHook) send(th Header, start time.Time, cmds []redis.Cmder, err error) {
	seg := newSubsegment(th, "redis", "remote", start)
	seg.EndTime = epochSeconds(time.Now())
	names := make([]string, 0, min(len(cmds), maxCommands))
	for _, c := range cmds[:min(len(cmds), maxCommands)] {
		// The name only: arguments carry keys, tokens and payloads.
		names = append(names, strings.ToUpper(c.Name()))
	}
	seg.Metadata = map[string]map[string]any{"redis": {"commands": names, "count": len(cmds)}}
	if err != nil && !errors.Is(err, redis.Nil) { // a missing key is an answer
		var reply redis.Error
		if errors.As(err, &reply) {
			seg.Error = true
		} else {
			seg.Fault = true
		}
		msg := err.Error()
		if len(msg) > maxMessage {
			msg = msg[:maxMessage] + "…"
		}
		seg.Cause = &Cause{Exceptions: []Exception{{ID: newID(), Message: msg, Type: fmt.Sprintf("%T", err)}}}
	}
	if serr := h.sender.Send(seg); serr != nil && h.log != nil && h.warned.CompareAndSwap(false, true) {
		h.log.Warn("xray: cannot send the redis subsegment (further failures are not logged)", "error", serr)
	}
}
