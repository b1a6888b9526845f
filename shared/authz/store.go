package authz

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/ratelimit"
	"github.com/redis/go-redis/v9"
)

// Module is the key module of revocation state:
// <prefix>:auth:{<user tag>}:revoked:<token id> and :nbf.
const Module = "auth"

// Defaults of StoreConfig.
const DefaultMaxTokenTTL = 24 * time.Hour

// Unbounded as StoreConfig.MaxTokenTTL accepts tokens of any lifetime; a
// revoke-all cut-off is then kept forever.
const Unbounded time.Duration = -1

// Reason says why a decision went the way it did.
type Reason string

// The reasons of a Decision.
const (
	ReasonOK          Reason = "ok"
	ReasonRevoked     Reason = "revoked"      // the token itself was revoked
	ReasonCutoff      Reason = "cutoff"       // issued at or before the subject's revoke-all
	ReasonRateLimited Reason = "rate_limited" // a policy denies; Limit says which
	ReasonNoSession   Reason = "no_session"   // no such session: never created, expired, destroyed or evicted
)

// Decision is the authorizer's verdict from one script call.
type Decision struct {
	Reason Reason
	// Limit is the rate-limit state; empty when the token was revoked or cut
	// off (those never reach the limiter and spend no budget).
	Limit ratelimit.Decision
}

// scripter is what the store needs of a Redis client.
type scripter interface {
	redis.Scripter
	SetArgs(ctx context.Context, key string, value any, a redis.SetArgs) *redis.StatusCmd
	Del(ctx context.Context, keys ...string) *redis.IntCmd
}

// StoreConfig bounds how long revocation state lives.
type StoreConfig struct {
	// Leeway is the clock-skew allowance of token verification; revocations
	// last for the token's remaining lifetime plus Leeway.
	Leeway time.Duration
	// MaxTokenTTL is the longest token lifetime (exp - iat) the authorizer
	// accepts; a revoke-all cut-off lasts MaxTokenTTL + Leeway, by which time
	// every token it rejects has expired. Unbounded keeps cut-offs forever.
	MaxTokenTTL time.Duration
}

// Store keeps revocations and makes the one-round-trip decision.
type Store struct {
	rdb  scripter
	keys keys.Builder
	cfg  StoreConfig
}

// NewStore returns a Store; zero config fields take their defaults.
func NewStore(rdb scripter, kb keys.Builder, cfg StoreConfig) (*Store, error) {
	if cfg.MaxTokenTTL == 0 {
		cfg.MaxTokenTTL = DefaultMaxTokenTTL
	}
	if cfg.Leeway < 0 || cfg.Leeway > MaxLeeway {
		return nil, fmt.Errorf("authz: leeway %v: must be from 0 to %v", cfg.Leeway, MaxLeeway)
	}
	if cfg.MaxTokenTTL != Unbounded && cfg.MaxTokenTTL < time.Second {
		return nil, fmt.Errorf("authz: max token ttl %v: must be at least 1s", cfg.MaxTokenTTL)
	}
	return &Store{rdb: rdb, keys: kb, cfg: cfg}, nil
}

// Config returns the store's effective configuration.
func (s *Store) Config() StoreConfig { return s.cfg }

// revokedKey is <prefix>:auth:{<user tag>}:revoked:<token id>; it exists
// while the token is revoked.
func (s *Store) revokedKey(tag, iss, jti string) (string, error) {
	return s.keys.Key(Module, tag, "revoked", tokenID(iss, jti))
}

// DecideToken checks, in one script call, that the token is not revoked, was
// issued after the subject's last revoke-all, and is within every policy
// (charging cost to each, all or nothing). The policies apply to the subject.
func (s *Store) DecideToken(ctx context.Context, c Claims, cost int64, policies []ratelimit.Policy) (Decision, error) {
	if c.Subject == "" {
		return Decision{}, errors.New("authz: decide: token has no subject")
	}
	if c.IssuedAt.IsZero() {
		return Decision{}, errors.New("authz: decide: token has no iat")
	}
	// A token without a jti cannot be revoked alone; its revocation key is
	// one no revocation writes, so the script's read finds nothing.
	tag := UserTag(c.Subject)
	revoked, err := s.revokedKey(tag, c.Issuer, c.ID)
	if err != nil {
		return Decision{}, fmt.Errorf("authz: decide: %w", err)
	}
	nbf, err := cutoffKey(s.keys, tag)
	if err != nil {
		return Decision{}, fmt.Errorf("authz: decide: %w", err)
	}
	// The script rejects iat <= cut-off; passing iat - leeway makes that
	// iat <= cut-off + leeway (see RevokeAll for why).
	return s.decide(ctx, tag, []string{revoked, nbf}, []any{2, c.IssuedAt.Unix() - s.leewaySeconds()}, cost, policies)
}

// DecideAnonymous rate-limits an anonymous caller by source IP.
func (s *Store) DecideAnonymous(ctx context.Context, ip string, cost int64, policies []ratelimit.Policy) (Decision, error) {
	tag, err := IPTag(ip)
	if err != nil {
		return Decision{}, err
	}
	return s.decide(ctx, tag, nil, []any{0, 0}, cost, policies)
}

func (s *Store) decide(ctx context.Context, tag string, authKeys []string, head []any, cost int64, policies []ratelimit.Policy) (Decision, error) {
	if err := ratelimit.ValidatePolicies(policies); err != nil {
		return Decision{}, fmt.Errorf("authz: decide: %w", err)
	}
	rl, err := ratelimit.StateKey(s.keys, tag)
	if err != nil {
		return Decision{}, fmt.Errorf("authz: decide: %w", err)
	}
	args, err := ratelimit.Args(cost, policies)
	if err != nil {
		return Decision{}, fmt.Errorf("authz: decide: %w", err)
	}
	reply, err := decideScript.Run(ctx, s.rdb, append(authKeys, rl), append(head, args...)...).Slice()
	if err != nil {
		return Decision{}, fmt.Errorf("authz: decide %s: %w", tag, err)
	}
	if len(reply) == 0 {
		return Decision{}, errors.New("authz: decide: empty reply")
	}
	switch code, _ := reply[0].(int64); code {
	case 1:
		return Decision{Reason: ReasonRevoked}, nil
	case 2:
		return Decision{Reason: ReasonCutoff}, nil
	case 0, 3:
		d, err := ratelimit.ParseReply(reply[1:], policies)
		if err != nil {
			return Decision{}, fmt.Errorf("authz: decide: %w", err)
		}
		if code == 3 {
			return Decision{Reason: ReasonRateLimited, Limit: d}, nil
		}
		return Decision{Reason: ReasonOK, Limit: d}, nil
	default:
		return Decision{}, fmt.Errorf("authz: decide: unknown reason %v", reply[0])
	}
}

// Revoke denies the token (iss, jti) of sub until exp plus leeway: one SET
// with an absolute expiry, so the entry disappears with the token. Revoking
// an expired or already revoked token succeeds and changes nothing.
func (s *Store) Revoke(ctx context.Context, sub, iss, jti string, exp time.Time) error {
	if jti == "" {
		return errors.New("authz: revoke: token needs a jti")
	}
	if err := ValidateSubject(sub); err != nil {
		return fmt.Errorf("authz: revoke: %w", err)
	}
	key, err := s.revokedKey(UserTag(sub), iss, jti)
	if err != nil {
		return fmt.Errorf("authz: revoke: %w", err)
	}
	// SET ... PXAT in the past stores nothing (the key expires at once).
	if err := s.rdb.SetArgs(ctx, key, "1", redis.SetArgs{ExpireAt: exp.Add(s.cfg.Leeway)}).Err(); err != nil {
		return fmt.Errorf("authz: revoke token of %s: %w", UserTag(sub), err)
	}
	return nil
}

// RevokeAll rejects every token of sub that exists when it returns, and
// ends every session of sub (shared/session). It returns the token cut-off:
// tokens issued (iat) at or before it are rejected from now on.
//
// The cut-off is Redis time at the revoke-all (whole seconds) plus the
// verification leeway, rounded up to whole seconds. The leeway is there
// because the verifier accepts an iat up to Leeway in the future (issuer
// clock skew): without it, a token minted just before the revoke-all by an
// issuer whose clock runs ahead (iat = now+28 with a 30s leeway) would carry
// an iat after the cut-off and survive. With it, every token whose iat the
// verifier can accept at the moment of the revoke-all is at or before the
// cut-off. The price is a window: for Leeway after a revoke-all, tokens newly
// minted for sub are refused too (401, reason cutoff); a client re-logs in
// after the returned cut-off. (An issuer whose clock is more than Leeway
// ahead is outside what the verifier tolerates at all; its tokens are refused
// until the verifier's clock catches up, and are not covered.)
//
// Sessions are created on Redis time, with no skew: they are cut at the
// revoke-all's own second, without the leeway.
//
// The cut-off and the end of the sessions are one script: the session index
// is deleted with the cut-off written, and a session is valid only while
// listed in its index. The session hashes themselves are deleted by a second
// command (only when there were sessions), since their keys are only known
// once the script has listed them. Should that command fail, the hashes are
// still unusable and expire after their idle TTL; the cut-off is reported as
// stored either way.
func (s *Store) RevokeAll(ctx context.Context, sub string) (time.Time, error) {
	cut, _, err := s.revokeAll(ctx, sub)
	return cut, err
}

// RevokeAllSessions is RevokeAll that also reports how many sessions it
// ended.
func (s *Store) RevokeAllSessions(ctx context.Context, sub string) (time.Time, int, error) {
	return s.revokeAll(ctx, sub)
}

func (s *Store) revokeAll(ctx context.Context, sub string) (time.Time, int, error) {
	if err := ValidateSubject(sub); err != nil {
		return time.Time{}, 0, fmt.Errorf("authz: revoke-all: %w", err)
	}
	nbf, err := CutoffKey(s.keys, sub)
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("authz: revoke-all: %w", err)
	}
	index, err := SessionIndexKey(s.keys, sub)
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("authz: revoke-all: %w", err)
	}
	ttl := int64(0) // kept forever
	if s.cfg.MaxTokenTTL != Unbounded {
		ttl = (s.cfg.MaxTokenTTL + s.cfg.Leeway).Milliseconds()
	}
	reply, err := revokeAllScript.Run(ctx, s.rdb, []string{nbf, index}, ttl).Slice()
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("authz: revoke-all of %s: %w", UserTag(sub), err)
	}
	sec, ok := int64(0), len(reply) > 0
	if ok {
		sec, ok = reply[0].(int64)
	}
	if !ok {
		return time.Time{}, 0, fmt.Errorf("authz: revoke-all of %s: unexpected reply %v", UserTag(sub), reply)
	}
	ended := make([]string, 0, len(reply)-1)
	for _, m := range reply[1:] {
		h, _ := m.(string)
		ended = append(ended, h)
	}
	// Best effort (see above): the sessions already ended with the index,
	// and the cut-off is stored.
	_ = DeleteSessionHashes(ctx, s.rdb, s.keys, sub, ended)
	return time.Unix(sec+s.leewaySeconds(), 0), len(ended), nil
}

// leewaySeconds is the leeway rounded up to whole seconds (iat is whole
// seconds on the wire that the cut-off compares).
func (s *Store) leewaySeconds() int64 {
	return int64((s.cfg.Leeway + time.Second - 1) / time.Second)
}
