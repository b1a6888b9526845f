package authorizer

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/redistest"
)

// FuzzHandle feeds arbitrary Authorization headers to the authorizer: it must
// never panic, and anything but a valid token is "Unauthorized".
func FuzzHandle(f *testing.F) {
	_, rdb := redistest.Miniredis(f)
	fx := newFixture(f, rdb, Config{Policies: policies(f, "per_second=1000000/1s")})
	valid := hs256(f, claims("fuzz", "j"))
	for _, s := range []string{
		"", "Bearer", "Bearer " + valid, "bearer " + valid, "Bearer  " + valid + " ",
		"Bearer " + algNone(f, claims("fuzz", "j")), "Bearer " + algConfusion(f, claims("fuzz", "j")),
		"Bearer a.b.c", "Bearer ....", "Basic Zm9vOmJhcg==", "Bearer \x00.\x00.\x00",
		"Bearer eyJhbGciOiJIUzI1NiJ9.e30.", "Bearer " + strings.Repeat("A", 300) + ".e30.x",
	} {
		f.Add(s)
	}
	// The hostile-input review's tokens (issue 12) that must be refused,
	// signed with the right key: duplicates, invalid UTF-8, string dates, a
	// negative lifetime, a header naming alg twice.
	now := time.Now().Unix()
	dates := fmt.Sprintf(`"iss":%q,"aud":%q,"iat":%d,"exp":%d`, testIss, testAud, now-60, now+3600)
	for _, raw := range [][2]string{
		{`{"alg":"HS256"}`, `{"sub":"fuzz","sub":"bob",` + dates + `}`},
		{`{"alg":"HS256"}`, `{"sub":"fuzz","scope":"read","scope":"admin",` + dates + `}`},
		{`{"alg":"HS256"}`, "{\"sub\":\"fu\xffzz\"," + dates + "}"},
		{`{"alg":"HS256"}`, fmt.Sprintf(`{"sub":"fuzz","iss":%q,"aud":%q,"iat":%d,"exp":"%d"}`, testIss, testAud, now-60, now+3600)},
		{`{"alg":"HS256"}`, fmt.Sprintf(`{"sub":"fuzz","iss":%q,"aud":%q,"iat":%d,"exp":%d}`, testIss, testAud, now, now-1)},
		{`{"alg":"none","alg":"HS256"}`, `{"sub":"fuzz",` + dates + `}`},
	} {
		f.Add("Bearer " + rawHS256(raw[0], raw[1]))
	}
	f.Fuzz(func(t *testing.T, auth string) {
		req := request(t, "")
		if auth != "" {
			req.Headers["Authorization"] = auth
			req.MultiValueHeaders["Authorization"] = []string{auth}
		}
		resp, err := fx.h.Handle(context.Background(), req)
		if err != nil {
			if !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("auth %q: unexpected error %v", auth, err)
			}
			return
		}
		if effect(resp) != "Allow" || resp.PrincipalID != "fuzz" {
			t.Fatalf("auth %q accepted as %+v", auth, resp)
		}
	})
}

// rawHS256 signs a header and payload given as raw JSON text.
func rawHS256(header, payload string) string {
	enc := base64.RawURLEncoding
	in := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(in))
	return in + "." + enc.EncodeToString(mac.Sum(nil))
}
