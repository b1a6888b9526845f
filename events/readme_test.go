package events_test

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/functions/ratelimit/authorizer"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/ratelimit"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/lambdis/lambdis/shared/rietest"
	"github.com/lambdis/lambdis/shared/shelltest"
)

// readme is events/README.md.
func readme(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	shBlockRE     = regexp.MustCompile("(?s)```sh\n(.*?)```\n")
	jsonBlockRE   = regexp.MustCompile("(?s)```json\n(.*?)\n```")
	inlineValueRE = regexp.MustCompile("`(\\{[^`]*\\})`")
)

// invokesRE matches a line of a ```sh block that is `sam local invoke` of
// file (not one that uses its answer, as in ID=$(sam local invoke ...)).
func invokesRE(file string) *regexp.Regexp {
	return regexp.MustCompile(`(?m)^\s*sam local invoke \S+ -e events/` + regexp.QuoteMeta(file) + ` `)
}

// documented is the answer events/README.md shows for file: the first
// ```json block, or else the first inline `{...}`, after the last ```sh
// block that invokes it and before the next ```sh block.
func documented(t testing.TB, file string) string {
	t.Helper()
	doc := readme(t)
	blocks := shBlockRE.FindAllStringSubmatchIndex(doc, -1)
	end, next := -1, len(doc)
	for i, b := range blocks {
		if invokesRE(file).MatchString(doc[b[2]:b[3]]) {
			end, next = b[1], len(doc)
			if i+1 < len(blocks) {
				next = blocks[i+1][0]
			}
		}
	}
	if end < 0 {
		t.Fatalf("events/README.md has no sam local invoke of %s", file)
	}
	after := doc[end:next]
	if m := jsonBlockRE.FindStringSubmatch(after); m != nil {
		return m[1]
	}
	if m := inlineValueRE.FindStringSubmatch(after); m != nil {
		return m[1]
	}
	t.Fatalf("events/README.md shows no answer for %s", file)
	return ""
}

// matchDocumented checks an answer against the one events/README.md shows
// for file: the same members (and, in a proxy response, the same members of
// the JSON body; a documented body alone is compared with the body) with the
// same values, except where the README writes a
// placeholder ("<now, RFC 3339>", "orders:…") and in the loose members,
// whose values depend on the time (only their type must match).
func matchDocumented(t *testing.T, file string, got []byte, loose ...string) {
	t.Helper()
	matchAnswer(t, file, documented(t, file), got, loose...)
}

// matchAnswer is matchDocumented for the answer want that events/README.md
// shows for what (a file, a block).
func matchAnswer(t *testing.T, file, want string, got []byte, loose ...string) {
	t.Helper()
	var w, g any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("events/README.md, the answer of %s: %v\n%s", file, err, want)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s answered %s: %v", file, got, err)
	}
	// A proxy response documented by its body alone: compare the body.
	if wm, ok := w.(map[string]any); ok {
		if gm, ok := g.(map[string]any); ok && wm["statusCode"] == nil && gm["statusCode"] != nil {
			body, _ := gm["body"].(string)
			if err := json.Unmarshal([]byte(body), &g); err != nil {
				t.Fatalf("%s answered the body %q: %v", file, body, err)
			}
		}
	}
	for _, d := range diffJSON("", w, g, loose) {
		t.Errorf("events/README.md, the answer of %s: %s", file, d)
	}
}

// diffJSON lists where got differs from the documented want; the members
// named in loose need only the documented type, and a string showing a
// placeholder (<…>, …) stands for any string.
func diffJSON(path string, want, got any, loose []string) []string {
	return shelltest.DiffJSON(path, want, got, func(path string, want, got any) ([]string, bool) {
		key := path[strings.LastIndex(path, ".")+1:]
		if ws, ok := want.(string); ok {
			gs, isStr := got.(string)
			switch {
			case !isStr:
				return []string{fmt.Sprintf("%s = %v, want a string like %q", path, got, ws)}, true
			case strings.HasPrefix(ws, "{") && strings.HasPrefix(gs, "{"): // a proxy response's body
				var wb, gb any
				if json.Unmarshal([]byte(ws), &wb) == nil && json.Unmarshal([]byte(gs), &gb) == nil {
					return diffJSON(path+"(body)", wb, gb, loose), true
				}
			case strings.Contains(ws, "<") || strings.Contains(ws, "…") || slices.Contains(loose, key):
				return nil, true
			}
		}
		if slices.Contains(loose, key) {
			if reflect.TypeOf(want) != reflect.TypeOf(got) {
				return []string{fmt.Sprintf("%s = %v, want a %T", path, got, want)}, true
			}
			return nil, true
		}
		return nil, false
	})
}

var (
	recipeLimitsRE = regexp.MustCompile(`\.RatelimitFunction\.RATE_LIMITS = "([^"]+)"`)
	recipeLoopRE   = regexp.MustCompile(`for i in ([0-9 ]+); do`)
)

// samInvokeSeconds is what one `sam local invoke` takes, at most: a fresh
// container each time (about 5 s measured, doubled).
const samInvokeSeconds = 10

// The README's recipe for a Deny with serial `sam local invoke`s: the
// policy it sets refills nothing within the recipe (at samInvokeSeconds a
// run), and its runs give that many Allows, then the documented Deny.
func TestOverLimitRecipe(t *testing.T) {
	doc := readme(t)
	m, loop := recipeLimitsRE.FindStringSubmatch(doc), recipeLoopRE.FindStringSubmatch(doc)
	if m == nil || loop == nil {
		t.Fatalf("events/README.md has no over-limit recipe (jq setting .RatelimitFunction.RATE_LIMITS, a for loop)")
	}
	runs := len(strings.Fields(loop[1]))
	policies, err := ratelimit.ParsePolicies(m[1])
	if err != nil || len(policies) != 1 {
		t.Fatalf("the recipe's RATE_LIMITS %q: %v, want one policy", m[1], err)
	}
	p := policies[0]
	refill := p.Period / time.Duration(p.Rate)
	if recipe := time.Duration(runs*samInvokeSeconds) * time.Second; refill <= recipe {
		t.Errorf("the recipe's policy %s gives a request back every %v, within the %v its %d runs may take", m[1], refill, recipe, runs)
	}
	if p.Burst != int64(runs-1) {
		t.Errorf("the recipe runs %d times with a burst of %d: want the last run, and only it, denied", runs, p.Burst)
	}

	srv := redistest.StartServer(t)
	env := functionEnv(t, ratelimitFunction, srv.Addr)
	for i, kv := range env {
		if strings.HasPrefix(kv, authorizer.EnvRateLimits+"=") {
			env[i] = authorizer.EnvRateLimits + "=" + m[1]
		}
	}
	s := &stack{redis: srv.Client(t), authorizer: rietest.Start(t, rietest.Build(t, "ratelimit"), env)}
	payload := readSample(t, fileOverLimit)
	for i := 1; i < runs; i++ {
		s.allow(t, payload, busyToken.sub)
	}
	resp, fe := s.authorize(t, payload)
	if fe != nil {
		t.Fatalf("run %d: function error %v, want Deny", runs, fe)
	}
	checkPolicy(t, resp, "Deny", authorizerSample(t, fileOverLimit).MethodArn)
	if resp.Context[apigw.ContextKeyRemaining] != "0" {
		t.Errorf("Deny context %v, want 0 remaining", resp.Context)
	}
	matchDocumented(t, fileOverLimit, s.answer, apigw.ContextKeyRetryAfter)
}

// matchDocumentedResponse is matchDocumented for a decoded proxy response
// (re-encoded as the function encoded it).
func matchDocumentedResponse(t *testing.T, file string, resp events.APIGatewayProxyResponse) {
	t.Helper()
	b, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	matchDocumented(t, file, b)
}

// The leaderboard answers events/README.md shows, in its order, on one
// fresh Redis: submit, top, around, ranks, delete, settings.
func TestLeaderboardDocumentedAnswers(t *testing.T) {
	s := newBoardStack(t, rietest.Build(t, "leaderboard"))
	for _, file := range []string{fileLeaderboardSubmit, fileLeaderboardTop, fileLeaderboardAround, fileLeaderboardRanks, fileLeaderboardDelete, fileLeaderboardDeclare} {
		matchDocumentedResponse(t, file, s.call(t, readSample(t, file)))
	}
}

// The enqueue answer events/README.md shows (the id is random).
func TestEnqueueDocumentedAnswer(t *testing.T) {
	s := newJobStack(t, rietest.Build(t, "enqueue"))
	matchDocumentedResponse(t, fileEnqueueJob, s.call(t, readSample(t, fileEnqueueJob)))
}
