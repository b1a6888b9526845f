package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// DeadLetter is a job on a queue's dead-letter stream.
type DeadLetter struct {
	EntryID  string          `json:"entry_id"`
	JobID    string          `json:"job_id"`
	Type     string          `json:"type"`
	Payload  json.RawMessage `json:"payload"`
	Attempts int             `json:"attempts"`
	Error    string          `json:"error"`
	Errors   json.RawMessage `json:"errors"`
	Version  string          `json:"version"` // worker function version that gave up
	DiedAt   int64           `json:"died_ms"`
}

func deadLetter(m redis.XMessage) DeadLetter {
	s := func(k string) string { v, _ := m.Values[k].(string); return v }
	d := DeadLetter{EntryID: m.ID, JobID: s("id"), Type: s("type"), Error: s("error"), Version: s("version")}
	d.Payload = json.RawMessage(s("payload"))
	if !json.Valid(d.Payload) {
		d.Payload = json.RawMessage("null")
	}
	d.Errors = json.RawMessage(s("errors"))
	if !json.Valid(d.Errors) || s("errors") == "{}" {
		d.Errors = json.RawMessage("[]")
	}
	d.Attempts, _ = strconv.Atoi(s("attempts"))
	d.DiedAt, _ = strconv.ParseInt(s("died_ms"), 10, 64)
	return d
}

// History is the dead letter's error history, one entry per failed
// attempt, oldest first (none when the worker stored no list).
func (d DeadLetter) History() []AttemptError {
	var raw []struct {
		Attempt int    `json:"attempt"`
		Error   string `json:"error"`
		AtMS    int64  `json:"at_ms"`
	}
	_ = json.Unmarshal(d.Errors, &raw) // "[]" or an object: no history
	out := make([]AttemptError, len(raw))
	for i, e := range raw {
		out[i] = AttemptError{Attempt: e.Attempt, Error: e.Error, At: time.UnixMilli(e.AtMS).UTC()}
	}
	return out
}

// DeadLetters lists up to count dead letters of a queue, oldest first,
// starting after the entry id after ("" for the start).
func (c *Client) DeadLetters(ctx context.Context, queue string, count int64, after string) ([]DeadLetter, error) {
	start := "-"
	if after != "" {
		start = "(" + after
	}
	return c.deadRange(ctx, queue, func(key string) *redis.XMessageSliceCmd {
		return c.rdb.XRangeN(ctx, key, start, "+", count)
	})
}

// NewestDeadLetters lists up to count dead letters of a queue, newest
// first, starting before the entry id before ("" for the newest): the order
// an operator reads them in, as the admin API and the console list them.
func (c *Client) NewestDeadLetters(ctx context.Context, queue string, count int64, before string) ([]DeadLetter, error) {
	end := "+"
	if before != "" {
		end = "(" + before
	}
	return c.deadRange(ctx, queue, func(key string) *redis.XMessageSliceCmd {
		return c.rdb.XRevRangeN(ctx, key, end, "-", count)
	})
}

// deadRange reads dead letters of a queue with read, given the stream's key.
func (c *Client) deadRange(ctx context.Context, queue string, read func(key string) *redis.XMessageSliceCmd) ([]DeadLetter, error) {
	k, err := newQueueKeys(c.keys, queue)
	if err != nil {
		return nil, err
	}
	msgs, err := read(k.dead).Result()
	if err != nil {
		return nil, fmt.Errorf("queue: dead letters of %s: %w", queue, err)
	}
	out := make([]DeadLetter, len(msgs))
	for i, m := range msgs {
		out[i] = deadLetter(m)
	}
	return out, nil
}

// DeadLetter returns one dead letter by its entry id.
func (c *Client) DeadLetter(ctx context.Context, queue, entryID string) (DeadLetter, error) {
	k, err := newQueueKeys(c.keys, queue)
	if err != nil {
		return DeadLetter{}, err
	}
	msgs, err := c.rdb.XRange(ctx, k.dead, entryID, entryID).Result()
	if err != nil {
		return DeadLetter{}, fmt.Errorf("queue: dead letter %s: %w", entryID, err)
	}
	if len(msgs) == 0 {
		return DeadLetter{}, fmt.Errorf("%w: dead letter %s", ErrNotFound, entryID)
	}
	return deadLetter(msgs[0]), nil
}

// Redrive puts the given dead letters back on the work stream with a fresh
// set of attempts; it returns the job ids redriven. With no ids it redrives
// every dead letter.
func (c *Client) Redrive(ctx context.Context, queue string, entryIDs ...string) ([]string, error) {
	k, err := newQueueKeys(c.keys, queue)
	if err != nil {
		return nil, err
	}
	if len(entryIDs) == 0 {
		var all []string
		for {
			page, err := c.rdb.XRangeN(ctx, k.dead, "-", "+", 100).Result()
			if err != nil {
				return all, fmt.Errorf("queue: redrive %s: %w", queue, err)
			}
			if len(page) == 0 {
				return all, nil
			}
			ids := make([]string, len(page))
			for i, m := range page {
				ids[i] = m.ID
			}
			got, err := c.Redrive(ctx, queue, ids...)
			all = append(all, got...)
			if err != nil {
				return all, err
			}
		}
	}
	args := make([]any, len(entryIDs))
	for i, id := range entryIDs {
		args[i] = id
	}
	res, err := redriveScript.Run(ctx, c.rdb, []string{k.stream, k.dead, k.meta, k.stats, k.expiry}, args...).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("queue: redrive %s: %w", queue, err)
	}
	return res, nil
}

// Purge deletes the given dead letters, or all of them with no ids; it
// returns how many were deleted.
func (c *Client) Purge(ctx context.Context, queue string, entryIDs ...string) (int64, error) {
	k, err := newQueueKeys(c.keys, queue)
	if err != nil {
		return 0, err
	}
	if len(entryIDs) == 0 {
		n, err := c.rdb.XLen(ctx, k.dead).Result()
		if err != nil {
			return 0, fmt.Errorf("queue: purge %s: %w", queue, err)
		}
		if err := c.rdb.Del(ctx, k.dead).Err(); err != nil {
			return 0, fmt.Errorf("queue: purge %s: %w", queue, err)
		}
		return n, nil
	}
	n, err := c.rdb.XDel(ctx, k.dead, entryIDs...).Result()
	if err != nil {
		return 0, fmt.Errorf("queue: purge %s: %w", queue, err)
	}
	return n, nil
}
