package authz

import (
	"context"
	"fmt"

	"github.com/lambdis/lambdis/shared/keys"
	"github.com/redis/go-redis/v9"
)

// Session state lives in this package's module and under the subject's user
// tag, beside the revoke-all cut-off and the rate-limit state of the same
// subject, so that one script can read and write all of them (shared/session
// owns the format; the layout is here because RevokeAll ends sessions too):
//
//	<prefix>:auth:{<user tag>}:sess:<handle>   hash: one session
//	<prefix>:auth:{<user tag>}:sessions        sorted set: the subject's live
//	                                           session handles, scored by expiry (ms)
//
// A handle is SessionHandleLen lowercase hex digits (a hash of the session
// id's secret part, never the secret itself).
const SessionHandleLen = 32

// SessionKey returns the key of the session hash of sub with handle.
func SessionKey(kb keys.Builder, sub, handle string) (string, error) {
	if !validHandle(handle) {
		return "", fmt.Errorf("authz: session handle %q: want %d lowercase hex digits", handle, SessionHandleLen)
	}
	return kb.Key(Module, UserTag(sub), "sess", handle)
}

// SessionIndexKey returns the key of the session index of sub.
func SessionIndexKey(kb keys.Builder, sub string) (string, error) {
	return kb.Key(Module, UserTag(sub), "sessions")
}

// CutoffKey returns the key of sub's revoke-all cut-off (unix seconds), which
// rejects tokens issued and sessions created at or before it.
func CutoffKey(kb keys.Builder, sub string) (string, error) {
	return cutoffKey(kb, UserTag(sub))
}

// cutoffKey is CutoffKey for a subject's tag (UserTag).
func cutoffKey(kb keys.Builder, tag string) (string, error) {
	return kb.Key(Module, tag, "nbf")
}

// DeleteSessionHashes deletes the session hashes of sub whose handles a
// script listed when it deleted the subject's index (revoke-all, destroy-all):
// those sessions already ended with the index, so this only frees their data
// (which would otherwise expire after its idle TTL). The keys share sub's tag;
// they go 256 to a DEL.
func DeleteSessionHashes(ctx context.Context, rdb interface {
	Del(ctx context.Context, keys ...string) *redis.IntCmd
}, kb keys.Builder, sub string, handles []string) error {
	hashes := make([]string, 0, len(handles))
	for _, h := range handles {
		if k, err := SessionKey(kb, sub, h); err == nil {
			hashes = append(hashes, k)
		}
	}
	for len(hashes) > 0 {
		n := min(len(hashes), 256)
		if err := rdb.Del(ctx, hashes[:n]...).Err(); err != nil {
			return fmt.Errorf("authz: delete the data of ended sessions of %s: %w", UserTag(sub), err)
		}
		hashes = hashes[n:]
	}
	return nil
}

func validHandle(h string) bool {
	if len(h) != SessionHandleLen {
		return false
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
