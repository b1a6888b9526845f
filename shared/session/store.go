package session

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/ratelimit"
	"github.com/redis/go-redis/v9"
)

// Defaults and bounds of Config and CreateOptions.
const (
	DefaultIdleTTL    = 30 * time.Minute
	DefaultMaxTTL     = 24 * time.Hour
	DefaultMaxPerUser = 100
	// NoMaxTTL as Config.MaxTTL (or CreateOptions.MaxTTL) lets a session
	// live as long as it is used.
	NoMaxTTL time.Duration = -1
	// MaxTTLBound bounds IdleTTL and MaxTTL.
	MaxTTLBound = 366 * 24 * time.Hour

	MaxDataFields   = 64       // user data fields per session
	MaxFieldBytes   = 128      // a data field's name
	MaxValueBytes   = 16 << 10 // a data field's value
	MaxScopeBytes   = 1024     // the scopes, joined by spaces
	maxPerUserBound = 10_000
)

// Errors of the store; each is wrapped with context.
var (
	// ErrNotFound: no valid session has this id (never created, idle too
	// long, past its maximum lifetime, destroyed, evicted, or created at or
	// before its subject's revoke-all cut-off).
	ErrNotFound = errors.New("session: no such session")
	// ErrCutOff: Create was called in the very second of a revoke-all of the
	// subject; a session created then would be rejected at once. Retry after
	// a second.
	ErrCutOff = errors.New("session: the subject's sessions were revoked this second")
	// ErrInvalid: bad input (subject, scopes, data, TTLs).
	ErrInvalid = errors.New("session: invalid input")
)

// Config is how sessions live.
type Config struct {
	// IdleTTL ends a session this long after its last use (sliding expiry).
	IdleTTL time.Duration
	// MaxTTL ends a session this long after its creation however much it is
	// used; NoMaxTTL for none.
	MaxTTL time.Duration
	// MaxPerUser is the most sessions a subject holds; creating one more
	// evicts those closest to expiry.
	MaxPerUser int
}

func (c Config) withDefaults() Config {
	if c.IdleTTL == 0 {
		c.IdleTTL = DefaultIdleTTL
	}
	if c.MaxTTL == 0 {
		c.MaxTTL = DefaultMaxTTL
	}
	if c.MaxPerUser == 0 {
		c.MaxPerUser = DefaultMaxPerUser
	}
	return c
}

func validTTLs(idle, maxTTL time.Duration) error {
	if idle < time.Millisecond || idle > MaxTTLBound {
		return fmt.Errorf("%w: idle TTL %v: must be from 1ms to %v", ErrInvalid, idle, MaxTTLBound)
	}
	if maxTTL != NoMaxTTL && (maxTTL < time.Millisecond || maxTTL > MaxTTLBound) {
		return fmt.Errorf("%w: maximum lifetime %v: must be from 1ms to %v, or NoMaxTTL", ErrInvalid, maxTTL, MaxTTLBound)
	}
	return nil
}

// scripter is what the store needs of a Redis client.
type scripter interface {
	redis.Scripter
	Del(ctx context.Context, keys ...string) *redis.IntCmd
	ZRange(ctx context.Context, key string, start, stop int64) *redis.StringSliceCmd
}

// Store keeps sessions. It is safe for concurrent use.
type Store struct {
	rdb  scripter
	keys keys.Builder
	cfg  Config
}

// NewStore returns a Store; zero config fields take their defaults.
func NewStore(rdb scripter, kb keys.Builder, cfg Config) (*Store, error) {
	cfg = cfg.withDefaults()
	if err := validTTLs(cfg.IdleTTL, cfg.MaxTTL); err != nil {
		return nil, fmt.Errorf("session: config: %w", err)
	}
	if cfg.MaxPerUser < 1 || cfg.MaxPerUser > maxPerUserBound {
		return nil, fmt.Errorf("session: config: %w: max sessions per user %d: must be from 1 to %d", ErrInvalid, cfg.MaxPerUser, maxPerUserBound)
	}
	return &Store{rdb: rdb, keys: kb, cfg: cfg}, nil
}

// Config returns the store's effective configuration.
func (s *Store) Config() Config { return s.cfg }

// Session is a session as stored.
type Session struct {
	Subject  string
	Handle   string // the id's public name (ID.Handle)
	Scopes   []string
	Created  time.Time // Redis time
	LastSeen time.Time
	IdleTTL  time.Duration
	// MaxExpiry is the end of the maximum lifetime; zero when none.
	MaxExpiry time.Time
	// Expires is when the session ends unless used again before.
	Expires time.Time
	Data    map[string]string
}

// CreateOptions are the per-session settings of Create.
type CreateOptions struct {
	Scopes []string          // each without spaces or control characters
	Data   map[string]string // initial user data
	// IdleTTL and MaxTTL override the store's (e.g. "remember me").
	IdleTTL time.Duration
	MaxTTL  time.Duration
}

// keysOf returns the session hash, index and cut-off keys of id.
func (s *Store) keysOf(id ID) (sess, index, cutoff string, err error) {
	if !id.Valid() {
		return "", "", "", fmt.Errorf("%w: zero session id", ErrInvalid)
	}
	if sess, err = authz.SessionKey(s.keys, id.sub, id.Handle()); err != nil {
		return "", "", "", err
	}
	if index, err = authz.SessionIndexKey(s.keys, id.sub); err != nil {
		return "", "", "", err
	}
	if cutoff, err = authz.CutoffKey(s.keys, id.sub); err != nil {
		return "", "", "", err
	}
	return sess, index, cutoff, nil
}

// Create starts a session for sub and returns its id; give id.Token() to the
// client. One script: it also prunes the subject's expired sessions and, at
// MaxPerUser, evicts the ones closest to expiry.
func (s *Store) Create(ctx context.Context, sub string, opts CreateOptions) (ID, Session, error) {
	if err := ValidateSubject(sub); err != nil {
		return ID{}, Session{}, fmt.Errorf("session: create: %w: %w", ErrInvalid, err)
	}
	idle, maxTTL := s.cfg.IdleTTL, s.cfg.MaxTTL
	if opts.IdleTTL != 0 {
		idle = opts.IdleTTL
	}
	if opts.MaxTTL != 0 {
		maxTTL = opts.MaxTTL
	}
	if err := validTTLs(idle, maxTTL); err != nil {
		return ID{}, Session{}, fmt.Errorf("session: create: %w", err)
	}
	scope, err := joinScopes(opts.Scopes)
	if err != nil {
		return ID{}, Session{}, fmt.Errorf("session: create: %w", err)
	}
	if len(opts.Data) > MaxDataFields {
		return ID{}, Session{}, fmt.Errorf("session: create: %w: %d data fields, the limit is %d", ErrInvalid, len(opts.Data), MaxDataFields)
	}
	data := make([]any, 0, 2*len(opts.Data))
	for k, v := range opts.Data {
		if err := validData(k, v); err != nil {
			return ID{}, Session{}, fmt.Errorf("session: create: %w", err)
		}
		data = append(data, dataPrefix+k, v)
	}
	id := newID(sub)
	sess, index, cutoff, err := s.keysOf(id)
	if err != nil {
		return ID{}, Session{}, fmt.Errorf("session: create: %w", err)
	}
	maxMS := int64(0)
	if maxTTL != NoMaxTTL {
		maxMS = max(maxTTL.Milliseconds(), 1)
	}
	args := append([]any{id.Handle(), sub, max(idle.Milliseconds(), 1), maxMS, scope, s.cfg.MaxPerUser}, data...)
	reply, err := createScript.Run(ctx, s.rdb, []string{sess, index, cutoff}, args...).Int64Slice()
	if err != nil {
		return ID{}, Session{}, fmt.Errorf("session: create for %s: %w", authz.UserTag(sub), err)
	}
	switch {
	case len(reply) == 4 && reply[0] == 1:
	case len(reply) == 1 && reply[0] == 2:
		return ID{}, Session{}, fmt.Errorf("session: create for %s: %w", authz.UserTag(sub), ErrCutOff)
	default:
		return ID{}, Session{}, fmt.Errorf("session: create for %s: unexpected reply %v", authz.UserTag(sub), reply)
	}
	created := time.UnixMilli(reply[1])
	out := Session{
		Subject: sub, Handle: id.Handle(), Scopes: splitScopes(scope),
		Created: created, LastSeen: created, IdleTTL: idle, Expires: time.UnixMilli(reply[2]),
		Data: map[string]string{},
	}
	if maxMS > 0 {
		out.MaxExpiry = created.Add(time.Duration(maxMS) * time.Millisecond)
	}
	for k, v := range opts.Data {
		out.Data[k] = v
	}
	return id, out, nil
}

// Get returns the session of id and records the use: its idle TTL starts
// again (bounded by its maximum lifetime). ErrNotFound when there is no
// valid session.
func (s *Store) Get(ctx context.Context, id ID) (Session, error) { return s.get(ctx, id, true) }

// Peek is Get without recording a use.
func (s *Store) Peek(ctx context.Context, id ID) (Session, error) { return s.get(ctx, id, false) }

func (s *Store) get(ctx context.Context, id ID, touch bool) (Session, error) {
	sess, index, cutoff, err := s.keysOf(id)
	if err != nil {
		return Session{}, fmt.Errorf("session: get: %w", err)
	}
	t := 0
	if touch {
		t = 1
	}
	reply, err := getScript.Run(ctx, s.rdb, []string{sess, index, cutoff}, id.Handle(), id.sub, t).Slice()
	if err != nil {
		return Session{}, fmt.Errorf("session: get %v: %w", id, err)
	}
	if len(reply) < 2 {
		return Session{}, fmt.Errorf("session: get %v: unexpected reply %v", id, reply)
	}
	if ok, _ := reply[0].(int64); ok != 1 {
		return Session{}, fmt.Errorf("session: get %v: %w", id, ErrNotFound)
	}
	out, err := parseSession(reply[1:])
	if err != nil {
		return Session{}, fmt.Errorf("session: get %v: %w", id, err)
	}
	out.Handle = id.Handle()
	return out, nil
}

const dataPrefix = "d:"

// parseSession decodes {expiry ms, field, value, ...}.
func parseSession(reply []any) (Session, error) {
	exp, ok := reply[0].(int64)
	if !ok || len(reply)%2 != 1 {
		return Session{}, fmt.Errorf("malformed session reply")
	}
	out := Session{Expires: time.UnixMilli(exp), Data: map[string]string{}}
	num := func(v string) int64 { n, _ := strconv.ParseInt(v, 10, 64); return n }
	for i := 1; i+1 < len(reply); i += 2 {
		k, _ := reply[i].(string)
		v, _ := reply[i+1].(string)
		switch k {
		case "sub":
			out.Subject = v
		case "created":
			out.Created = time.UnixMilli(num(v))
		case "seen":
			out.LastSeen = time.UnixMilli(num(v))
		case "idle":
			out.IdleTTL = time.Duration(num(v)) * time.Millisecond
		case "exp":
			if n := num(v); n > 0 {
				out.MaxExpiry = time.UnixMilli(n)
			}
		case "scope":
			out.Scopes = splitScopes(v)
		default:
			if name, ok := strings.CutPrefix(k, dataPrefix); ok {
				out.Data[name] = v
			}
		}
	}
	return out, nil
}

// Update sets and deletes user data of a valid session, all or nothing (a
// field both set and deleted ends up set). It is not a use: the expiry does
// not move. ErrNotFound when there is no valid session; ErrInvalid when the
// session would hold more than MaxDataFields fields.
func (s *Store) Update(ctx context.Context, id ID, set map[string]string, del ...string) error {
	sess, index, cutoff, err := s.keysOf(id)
	if err != nil {
		return fmt.Errorf("session: update: %w", err)
	}
	if len(set) > MaxDataFields || len(del) > MaxDataFields {
		return fmt.Errorf("session: update: %w: more than %d fields", ErrInvalid, MaxDataFields)
	}
	args := make([]any, 0, 4+2*len(set)+len(del))
	args = append(args, id.Handle(), id.sub, MaxDataFields, len(set))
	for k, v := range set {
		if err := validData(k, v); err != nil {
			return fmt.Errorf("session: update: %w", err)
		}
		args = append(args, dataPrefix+k, v)
	}
	for _, k := range del {
		if err := validData(k, ""); err != nil {
			return fmt.Errorf("session: update: %w", err)
		}
		args = append(args, dataPrefix+k)
	}
	reply, err := updateScript.Run(ctx, s.rdb, []string{sess, index, cutoff}, args...).Int64Slice()
	if err != nil {
		return fmt.Errorf("session: update %v: %w", id, err)
	}
	switch {
	case len(reply) >= 1 && reply[0] == 1:
		return nil
	case len(reply) == 2 && reply[0] == 0:
		return fmt.Errorf("session: update %v: %w", id, ErrNotFound)
	case len(reply) == 2 && reply[0] == -1:
		return fmt.Errorf("session: update %v: %w: it would hold %d data fields, the limit is %d", id, ErrInvalid, reply[1], MaxDataFields)
	}
	return fmt.Errorf("session: update %v: unexpected reply %v", id, reply)
}

// Destroy ends the session of id (logout). It reports whether there was
// one; destroying twice is not an error.
func (s *Store) Destroy(ctx context.Context, id ID) (bool, error) {
	sess, index, _, err := s.keysOf(id)
	if err != nil {
		return false, fmt.Errorf("session: destroy: %w", err)
	}
	n, err := destroyScript.Run(ctx, s.rdb, []string{sess, index}, id.Handle()).Int64()
	if err != nil {
		return false, fmt.Errorf("session: destroy %v: %w", id, err)
	}
	return n == 1, nil
}

// DestroyAll ends every session of sub at once (one script deletes the
// subject's index, and a session is valid only while listed in it), then
// deletes their hashes, and returns how many there were. Unlike
// authz.Store.RevokeAll it sets no cut-off: tokens stay valid, and sessions
// created afterwards, even in the same second, are valid.
func (s *Store) DestroyAll(ctx context.Context, sub string) (int, error) {
	if err := ValidateSubject(sub); err != nil {
		return 0, fmt.Errorf("session: destroy-all: %w: %w", ErrInvalid, err)
	}
	index, err := authz.SessionIndexKey(s.keys, sub)
	if err != nil {
		return 0, fmt.Errorf("session: destroy-all: %w", err)
	}
	handles, err := destroyAllScript.Run(ctx, s.rdb, []string{index}).StringSlice()
	if err != nil {
		return 0, fmt.Errorf("session: destroy-all of %s: %w", authz.UserTag(sub), err)
	}
	// The sessions ended with the index; a failure here leaves unusable
	// hashes that expire after their idle TTL, and is reported.
	if err := authz.DeleteSessionHashes(ctx, s.rdb, s.keys, sub, handles); err != nil {
		return len(handles), fmt.Errorf("session: destroy-all: sessions ended: %w", err)
	}
	return len(handles), nil
}

// Decision is the authorizer's verdict on a session.
type Decision struct {
	authz.Decision
	// Scopes of the session, when Reason is ReasonOK or ReasonRateLimited.
	Scopes []string
}

// Decide is the authorizer's decision for a request presenting id, in one
// script: the session must exist, be listed in its subject's index, be
// neither idle nor past its maximum lifetime, and have been created after
// the subject's revoke-all cut-off; then every policy is evaluated for the
// subject (the same state as the subject's tokens spend), all or nothing.
// An admitted request records a use (sliding expiry) and is charged; a
// denied one writes nothing. Reasons: ReasonOK, ReasonRateLimited,
// ReasonNoSession, ReasonCutoff.
func (s *Store) Decide(ctx context.Context, id ID, cost int64, policies []ratelimit.Policy) (Decision, error) {
	if err := ratelimit.ValidatePolicies(policies); err != nil {
		return Decision{}, fmt.Errorf("session: decide: %w", err)
	}
	sess, index, cutoff, err := s.keysOf(id)
	if err != nil {
		return Decision{}, fmt.Errorf("session: decide: %w", err)
	}
	rl, err := ratelimit.StateKey(s.keys, authz.UserTag(id.sub))
	if err != nil {
		return Decision{}, fmt.Errorf("session: decide: %w", err)
	}
	args, err := ratelimit.Args(cost, policies)
	if err != nil {
		return Decision{}, fmt.Errorf("session: decide: %w", err)
	}
	reply, err := decideScript.Run(ctx, s.rdb, []string{sess, index, cutoff, rl}, append([]any{id.Handle(), id.sub}, args...)...).Slice()
	if err != nil {
		return Decision{}, fmt.Errorf("session: decide %v: %w", id, err)
	}
	if len(reply) == 0 {
		return Decision{}, fmt.Errorf("session: decide %v: empty reply", id)
	}
	switch code, _ := reply[0].(int64); code {
	case 2:
		return Decision{Decision: authz.Decision{Reason: authz.ReasonCutoff}}, nil
	case 4:
		return Decision{Decision: authz.Decision{Reason: authz.ReasonNoSession}}, nil
	case 0, 3:
		if len(reply) < 2 {
			return Decision{}, fmt.Errorf("session: decide %v: short reply", id)
		}
		scope, _ := reply[1].(string)
		d, err := ratelimit.ParseReply(reply[2:], policies)
		if err != nil {
			return Decision{}, fmt.Errorf("session: decide %v: %w", id, err)
		}
		reason := authz.ReasonOK
		if code == 3 {
			reason = authz.ReasonRateLimited
		}
		return Decision{Decision: authz.Decision{Reason: reason, Limit: d}, Scopes: splitScopes(scope)}, nil
	default:
		return Decision{}, fmt.Errorf("session: decide %v: unknown reason %v", id, reply[0])
	}
}

func joinScopes(scopes []string) (string, error) {
	for _, sc := range scopes {
		if sc == "" || !utf8.ValidString(sc) || strings.IndexFunc(sc, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
			return "", fmt.Errorf("%w: scope %q: want a non-empty word without spaces or control characters", ErrInvalid, sc)
		}
	}
	s := strings.Join(scopes, " ")
	if len(s) > MaxScopeBytes {
		return "", fmt.Errorf("%w: scopes of %d bytes, the limit is %d", ErrInvalid, len(s), MaxScopeBytes)
	}
	return s, nil
}

func splitScopes(s string) []string {
	if f := strings.Fields(s); len(f) > 0 {
		return f
	}
	return nil
}

func validData(k, v string) error {
	switch {
	case k == "" || len(k) > MaxFieldBytes || !utf8.ValidString(k):
		return fmt.Errorf("%w: data field %q: want 1 to %d bytes of UTF-8", ErrInvalid, k, MaxFieldBytes)
	case len(v) > MaxValueBytes:
		return fmt.Errorf("%w: data field %q: value of %d bytes, the limit is %d", ErrInvalid, k, len(v), MaxValueBytes)
	}
	return nil
}
