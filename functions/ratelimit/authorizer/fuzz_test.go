package authorizer

import (
	"context"
	"errors"
	"strings"
	"testing"

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
