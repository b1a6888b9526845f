package queue

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// The queue registry: every queue in use, so that a worker run whose input
// names no queue drains them all and `lambdis queue list` shows them. An
// enqueue registers its queue the first time it sees it (the enqueue
// script's stats field "registered" says whether it has been): one more
// command once per queue, none on later enqueues. Redis may lose the
// registry with everything else (FLUSHALL, a restart without persistence);
// the stats field goes with it, and the next enqueue registers again.

// register adds queue to the registry (first use kept); on failure it
// clears the queue's "registered" mark so the next enqueue tries again.
func (c *Client) register(ctx context.Context, queue string) error {
	err := c.rdb.HSetNX(ctx, c.registry, queue, time.Now().UnixMilli()).Err()
	if err == nil {
		return nil
	}
	if k, kerr := newQueueKeys(c.keys, queue); kerr == nil {
		_ = c.rdb.HDel(context.WithoutCancel(ctx), k.stats, "registered").Err()
	}
	return fmt.Errorf("queue: register %s: %w", queue, err)
}

// Register adds queues to the registry, as their first enqueue would; a
// worker run given its queues (its input, WORKER_QUEUES) registers them, so
// a registry lost with its queues' marks still intact heals on such a run.
func (c *Client) Register(ctx context.Context, queues ...string) error {
	if len(queues) == 0 {
		return nil
	}
	args := make([]any, 0, 2*len(queues))
	now := time.Now().UnixMilli()
	for _, q := range queues {
		if err := ValidateQueueName(q); err != nil {
			return err
		}
		args = append(args, q, now)
	}
	_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := 0; i < len(args); i += 2 {
			p.HSetNX(ctx, c.registry, args[i].(string), args[i+1])
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("queue: register: %w", err)
	}
	return nil
}

// Queues returns the registered queues, sorted by name.
func (c *Client) Queues(ctx context.Context) ([]string, error) {
	names, err := c.rdb.HKeys(ctx, c.registry).Result()
	if err != nil {
		return nil, fmt.Errorf("queue: list queues: %w", err)
	}
	out := names[:0]
	for _, n := range names {
		if ValidateQueueName(n) == nil { // a hand-written field cannot make a run fail
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Registered reports whether queue is in the registry.
func (c *Client) Registered(ctx context.Context, queue string) (bool, error) {
	ok, err := c.rdb.HExists(ctx, c.registry, queue).Result()
	if err != nil {
		return false, fmt.Errorf("queue: registry: %w", err)
	}
	return ok, nil
}

// Overview is one line of `lambdis queue list`: a queue's books and the age
// of its oldest job due now.
type Overview struct {
	Queue string
	Books Books
	// OldestDue is how long the oldest job waiting for a worker has been
	// due (0: none waiting).
	OldestDue time.Duration
	// FirstUsed is when the queue was registered (zero if it is not).
	FirstUsed time.Time
}

// Overviews returns the Overview of every registered queue.
func (c *Client) Overviews(ctx context.Context) ([]Overview, error) {
	first, err := c.rdb.HGetAll(ctx, c.registry).Result()
	if err != nil {
		return nil, fmt.Errorf("queue: list queues: %w", err)
	}
	names, err := c.Queues(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Overview, 0, len(names))
	for _, q := range names {
		o, err := c.Overview(ctx, q)
		if err != nil {
			return nil, err
		}
		if ms, err := strconv.ParseInt(first[q], 10, 64); err == nil {
			o.FirstUsed = time.UnixMilli(ms).UTC()
		}
		out = append(out, o)
	}
	return out, nil
}

// Overview returns one queue's books and the age of its oldest due job: the
// first entry the consumer group has not delivered (its id is the time it
// was added or promoted), or an entry given back unstarted, whichever is
// older.
func (c *Client) Overview(ctx context.Context, queue string) (Overview, error) {
	b, err := c.Books(ctx, queue)
	if err != nil {
		return Overview{}, err
	}
	o := Overview{Queue: queue, Books: b}
	if b.Backlog() <= 0 {
		return o, nil
	}
	k, _ := newQueueKeys(c.keys, queue) // valid: Books checked the name
	res, err := oldestScript.Run(ctx, c.rdb, []string{k.stream}, Group, GivenBackConsumer).Int64()
	if err != nil {
		return Overview{}, fmt.Errorf("queue: oldest due job of %s: %w", queue, err)
	}
	if res > 0 {
		o.OldestDue = max(0, time.Since(time.UnixMilli(res)))
	}
	return o, nil
}
