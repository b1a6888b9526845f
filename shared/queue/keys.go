package queue

import (
	"errors"
	"fmt"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/lambdis/lambdis/shared/idempotency"
	"github.com/lambdis/lambdis/shared/keys"
)

// Module is the key module of queues: <prefix>:q:{<queue>}:...
const Module = "q"

// Group is the consumer group every worker reads with.
const Group = "workers"

// MaxQueueName bounds a queue name in bytes.
const MaxQueueName = 64

// ErrInvalidQueue is wrapped by queue-name validation errors.
var ErrInvalidQueue = errors.New("invalid queue name")

// ValidateQueueName accepts 1 to 64 bytes of printable UTF-8 without braces,
// spaces, control characters or ':'.
func ValidateQueueName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty", ErrInvalidQueue)
	case len(name) > MaxQueueName:
		return fmt.Errorf("%w: %d bytes, the limit is %d", ErrInvalidQueue, len(name), MaxQueueName)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: not valid UTF-8", ErrInvalidQueue)
	}
	for _, r := range name {
		if r == '{' || r == '}' || r == ':' || unicode.IsSpace(r) || unicode.IsControl(r) || !unicode.IsPrint(r) {
			return fmt.Errorf("%w: %q may not contain braces, ':', spaces or control characters", ErrInvalidQueue, name)
		}
	}
	return nil
}

// queueKeys are the keys of one queue.
type queueKeys struct {
	queue string // its name

	stream, delayed, delayedData, dead, meta, done, idemGC, expiry, stats, awake string
}

func newQueueKeys(kb keys.Builder, queue string) (queueKeys, error) {
	if err := ValidateQueueName(queue); err != nil {
		return queueKeys{}, err
	}
	base, err := kb.Key(Module, queue)
	if err != nil {
		return queueKeys{}, err // unreachable: a valid queue name is a valid tag
	}
	return queueKeys{
		queue:  queue,
		stream: base + ":stream", delayed: base + ":delayed", delayedData: base + ":delayed_data", dead: base + ":dead",
		meta: base + ":meta", done: base + ":done", idemGC: base + ":idem_gc", expiry: base + ":expiry", stats: base + ":stats",
		awake: base + ":awake",
	}, nil
}

// RegistryModule and RegistryTag name the queue registry,
// <prefix>:queues:{registry}: a hash of every queue in use, name -> when it
// was first used (unix ms).
const RegistryModule, RegistryTag = "queues", "registry"

// doorbellChannel is the Pub/Sub channel on which an enqueue wakes a run
// idling on the queue; the message is the queue's name.
func doorbellChannel(kb keys.Builder) string { return kb.Prefix() + ":" + Module + ":doorbell" }

// idemRecordKey is the idempotency record of key in queue and scope:
// <prefix>:q:{<queue>}:idem:<sha256 of key> (shared/idempotency's format)
// without a scope; with one, the hash is of the scope's length, ':', the
// scope and the key, so no two (scope, key) pairs share a record.
func idemRecordKey(kb keys.Builder, queue, scope, key string) (string, error) {
	if err := idempotency.ValidateKey(key); err != nil {
		return "", err
	}
	if scope != "" {
		key = strconv.Itoa(len(scope)) + ":" + scope + key
	}
	k, err := kb.Key(Module, queue, "idem", idempotency.KeyHash(key))
	if err != nil {
		return "", fmt.Errorf("%w: %w", idempotency.ErrInvalid, err)
	}
	return k, nil
}
