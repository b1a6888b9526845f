package authz

import (
	"fmt"

	"github.com/lambdis/lambdis/shared/keys"
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
	return kb.Key(Module, UserTag(sub), "nbf")
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
