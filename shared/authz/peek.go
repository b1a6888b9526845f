package authz

import (
	"context"
	"fmt"
	"time"

	"github.com/lambdis/lambdis/shared/ratelimit"
)

// SubjectState is a subject's state as the authorizer sees it, read by Peek
// without spending or writing anything.
type SubjectState struct {
	// RevokedAll is whether a revoke-all cut-off is in force: tokens
	// issued at or before NotBefore, and sessions created at or before
	// RevokedAt, are rejected.
	RevokedAll bool
	// RevokedAt is the second of the last revoke-all (Redis time).
	RevokedAt time.Time
	// NotBefore is the token cut-off RevokeAll returned: RevokedAt plus the
	// verification leeway.
	NotBefore time.Time
	// Until is when the cut-off is dropped (every token it rejects has
	// expired by then); zero when it is kept forever (Unbounded).
	Until time.Time
	// Limits is the subject's state under each policy, in the order given:
	// Remaining requests admissible now and ResetAfter until a full burst.
	Limits []ratelimit.Result
}

// Peek reads sub's revoke-all cut-off and its rate-limit state under
// policies in one script call that writes nothing (peek.lua): the state the
// next request of a token of sub would be decided on.
func (s *Store) Peek(ctx context.Context, sub string, policies []ratelimit.Policy) (SubjectState, error) {
	if err := ValidateSubject(sub); err != nil {
		return SubjectState{}, fmt.Errorf("authz: peek: %w", err)
	}
	if err := ratelimit.ValidatePolicies(policies); err != nil {
		return SubjectState{}, fmt.Errorf("authz: peek: %w", err)
	}
	tag := UserTag(sub)
	nbf, err := cutoffKey(s.keys, tag)
	if err != nil {
		return SubjectState{}, fmt.Errorf("authz: peek: %w", err)
	}
	rl, err := ratelimit.StateKey(s.keys, tag)
	if err != nil {
		return SubjectState{}, fmt.Errorf("authz: peek: %w", err)
	}
	args, err := ratelimit.Args(0, policies)
	if err != nil {
		return SubjectState{}, fmt.Errorf("authz: peek: %w", err)
	}
	reply, err := peekScript.Run(ctx, s.rdb, []string{nbf, rl}, args[1:]...).Slice()
	if err != nil {
		return SubjectState{}, fmt.Errorf("authz: peek %s: %w", tag, err)
	}
	if len(reply) < 2 {
		return SubjectState{}, fmt.Errorf("authz: peek %s: unexpected reply %v", tag, reply)
	}
	cut, ok1 := reply[0].(int64)
	ttl, ok2 := reply[1].(int64)
	if !ok1 || !ok2 {
		return SubjectState{}, fmt.Errorf("authz: peek %s: unexpected reply %v", tag, reply[:2])
	}
	var st SubjectState
	if len(policies) > 0 {
		d, err := ratelimit.ParseReply(reply[2:], policies)
		if err != nil {
			return SubjectState{}, fmt.Errorf("authz: peek %s: %w", tag, err)
		}
		st.Limits = d.Results
	}
	if cut > 0 && ttl != -2 {
		st.RevokedAll = true
		st.RevokedAt = time.Unix(cut, 0).UTC()
		st.NotBefore = time.Unix(cut+s.leewaySeconds(), 0).UTC()
		if ttl >= 0 {
			st.Until = time.Now().Add(time.Duration(ttl) * time.Millisecond).UTC().Truncate(time.Millisecond)
		}
	}
	return st, nil
}
