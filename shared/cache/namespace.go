package cache

import (
	"context"
	"fmt"
	"time"
)

// Namespace is a family of entries that can be invalidated together with
// one INCR of a generation counter, never KEYS or SCAN. Its entries and its
// generation share one hash tag, {ns:<name>}:
//
//	<prefix>:cache:{ns:<name>}:gen        the generation (a string counter)
//	<prefix>:cache:{ns:<name>}:e:<id>     an entry (remembers its generation)
//
// Every read resolves the generation inside the same script as the entry (one
// round trip); an entry or lease of an older generation is dead, and old
// entries age out by their TTL.
//
// The trade-off: a namespace lives in one cluster slot, so one shard serves
// all of its traffic. Use namespaces for bounded families read together (a
// tenant's settings, one user's items, a small reference table), and plain
// keys (Cache.GetOrLoad) for large or hot tables spread over the cluster.
type Namespace struct {
	c    *Cache
	name string
	gen  string
}

// Namespace returns the namespace name (1 to 253 bytes without braces,
// spaces or control characters).
func (c *Cache) Namespace(name string) (*Namespace, error) {
	if name == "" {
		return nil, fmt.Errorf("%w: namespace: empty name", ErrInvalid)
	}
	gen, err := c.keys.Key(Module, "ns:"+name, "gen")
	if err != nil {
		return nil, fmt.Errorf("%w: namespace %q: %w", ErrInvalid, name, err)
	}
	return &Namespace{c: c, name: name, gen: gen}, nil
}

// Name returns the namespace's name.
func (n *Namespace) Name() string { return n.name }

// GenerationKey returns the Redis key of the generation counter.
func (n *Namespace) GenerationKey() string { return n.gen }

// Key returns the Redis key of id's entry.
func (n *Namespace) Key(id string) (string, error) {
	if id == "" {
		return "", fmt.Errorf("%w: namespace %q: empty id", ErrInvalid, n.name)
	}
	k, err := n.c.keys.Key(Module, "ns:"+n.name, "e", id)
	if err != nil {
		return "", fmt.Errorf("%w: namespace %q: id %q: %w", ErrInvalid, n.name, id, err)
	}
	return k, nil
}

func (n *Namespace) keys(id string) ([]string, error) {
	k, err := n.Key(id)
	if err != nil {
		return nil, err
	}
	return []string{k, n.gen}, nil
}

// GetOrLoad is Cache.GetOrLoad for id in the namespace; a fill is also
// refused when the generation moved since its lease was granted.
func (n *Namespace) GetOrLoad(ctx context.Context, id string, ttl time.Duration, load LoadFunc) ([]byte, error) {
	ks, err := n.keys(id)
	if err != nil {
		return nil, err
	}
	return n.c.getOrLoad(ctx, n.name+"/"+id, ks, ttl, load)
}

// Get is Cache.Get for id in the namespace.
func (n *Namespace) Get(ctx context.Context, id string) ([]byte, error) {
	ks, err := n.keys(id)
	if err != nil {
		return nil, err
	}
	return n.c.get(ctx, n.name+"/"+id, ks)
}

// Invalidate is Cache.Invalidate for entries of the namespace.
func (n *Namespace) Invalidate(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return fmt.Errorf("%w: invalidate: no ids", ErrInvalid)
	}
	ks := make([]string, len(ids))
	for i, id := range ids {
		k, err := n.Key(id)
		if err != nil {
			return err
		}
		ks[i] = k
	}
	return n.c.invalidate(ctx, ks)
}

// InvalidateNamespace ends every entry of the namespace with one INCR of its
// generation, in a script that starts a missing counter from the Redis clock
// rather than from 1 (a restarted counter could meet old entries again). It
// also kills every lease granted before it. Values of the old
// generation are never served again, not even as stale. With an Enqueuer
// it also enqueues the delayed second delete of the generation key, which
// moves the generation once more (see Cache.Invalidate for why).
func (n *Namespace) InvalidateNamespace(ctx context.Context) error {
	var err error
	if e := bumpScript.Run(ctx, n.c.rdb, []string{n.gen}).Err(); e != nil {
		err = fmt.Errorf("cache: invalidate namespace %q: %w", n.name, e)
	}
	if qerr := n.c.enqueueSecondDelete(ctx, []string{n.gen}); qerr != nil {
		if err != nil {
			return fmt.Errorf("%w; %w", err, qerr)
		}
		return qerr
	}
	return err
}
