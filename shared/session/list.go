package session

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/lambdis/lambdis/shared/authz"
)

// List returns the valid sessions of sub, the longest-lived first (ties by
// handle), without recording a use. It takes two round trips: the index is
// read first, then one script checks every listed session by the validity
// rule (cleaning up the dead ones it meets) and reads it. A session created
// between the two is missing from this answer, one ended between them too.
func (s *Store) List(ctx context.Context, sub string) ([]Session, error) {
	if err := ValidateSubject(sub); err != nil {
		return nil, fmt.Errorf("session: list: %w: %w", ErrInvalid, err)
	}
	index, err := authz.SessionIndexKey(s.keys, sub)
	if err != nil {
		return nil, fmt.Errorf("session: list: %w", err)
	}
	cutoff, err := authz.CutoffKey(s.keys, sub)
	if err != nil {
		return nil, fmt.Errorf("session: list: %w", err)
	}
	handles, err := s.rdb.ZRange(ctx, index, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("session: list for %s: %w", authz.UserTag(sub), err)
	}
	keys := []string{index, cutoff}
	args := []any{sub}
	for _, h := range handles {
		k, err := authz.SessionKey(s.keys, sub, h)
		if err != nil {
			continue // not a handle this package wrote
		}
		keys = append(keys, k)
		args = append(args, h)
	}
	if len(args) == 1 {
		return []Session{}, nil
	}
	reply, err := listScript.Run(ctx, s.rdb, keys, args...).Slice()
	if err != nil {
		return nil, fmt.Errorf("session: list for %s: %w", authz.UserTag(sub), err)
	}
	out := make([]Session, 0, len(reply))
	for _, r := range reply {
		fields, ok := r.([]any)
		if !ok || len(fields) < 2 {
			return nil, fmt.Errorf("session: list for %s: unexpected reply %v", authz.UserTag(sub), r)
		}
		handle, _ := fields[0].(string)
		sess, err := parseSession(fields[1:])
		if err != nil {
			return nil, fmt.Errorf("session: list for %s: %w", authz.UserTag(sub), err)
		}
		sess.Handle = handle
		out = append(out, sess)
	}
	slices.SortFunc(out, func(a, b Session) int {
		if c := b.Expires.Compare(a.Expires); c != 0 {
			return c
		}
		return strings.Compare(a.Handle, b.Handle)
	})
	return out, nil
}

// DestroyHandle ends the session of sub named by handle (Session.Handle):
// how an account page ends one of the user's other sessions, which it knows
// only by handle. It reports whether there was such a session; a handle
// that is malformed or belongs to another subject is simply not found.
func (s *Store) DestroyHandle(ctx context.Context, sub, handle string) (bool, error) {
	if err := ValidateSubject(sub); err != nil {
		return false, fmt.Errorf("session: destroy: %w: %w", ErrInvalid, err)
	}
	sess, err := authz.SessionKey(s.keys, sub, handle)
	if err != nil {
		return false, nil // no session has this handle
	}
	index, err := authz.SessionIndexKey(s.keys, sub)
	if err != nil {
		return false, fmt.Errorf("session: destroy: %w", err)
	}
	n, err := destroyScript.Run(ctx, s.rdb, []string{sess, index}, handle).Int64()
	if err != nil {
		return false, fmt.Errorf("session: destroy %s/%s: %w", authz.UserTag(sub), handle, err)
	}
	return n == 1, nil
}

// DestroyOthers ends every session of sub except the one named by keep (a
// handle; "" keeps none), in one script that unlists them ("log out other
// devices"), then deletes their hashes, and returns how many it ended. Like
// DestroyAll it sets no cut-off.
func (s *Store) DestroyOthers(ctx context.Context, sub, keep string) (int, error) {
	if err := ValidateSubject(sub); err != nil {
		return 0, fmt.Errorf("session: destroy others: %w: %w", ErrInvalid, err)
	}
	index, err := authz.SessionIndexKey(s.keys, sub)
	if err != nil {
		return 0, fmt.Errorf("session: destroy others: %w", err)
	}
	handles, err := destroyOthersScript.Run(ctx, s.rdb, []string{index}, keep).StringSlice()
	if err != nil {
		return 0, fmt.Errorf("session: destroy others of %s: %w", authz.UserTag(sub), err)
	}
	if err := authz.DeleteSessionHashes(ctx, s.rdb, s.keys, sub, handles); err != nil {
		return len(handles), fmt.Errorf("session: destroy others: sessions ended: %w", err)
	}
	return len(handles), nil
}
