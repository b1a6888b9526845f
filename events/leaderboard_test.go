package events_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/functions/leaderboard/boards"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/leaderboard"
	"github.com/lambdis/lambdis/shared/redisconn"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/lambdis/lambdis/shared/rietest"
	"github.com/redis/go-redis/v9"
)

// The samples of the leaderboard function (LeaderboardFunction). They are
// made by leaderboardSamples and checked here (TestLeaderboardSamples,
// TestLeaderboardUnderEmulator), not by the ratelimit/revoke tests.
const (
	leaderboardFunction    = "LeaderboardFunction"
	fileLeaderboardSubmit  = "leaderboard-submit.json"
	fileLeaderboardTop     = "leaderboard-top.json"
	fileLeaderboardAround  = "leaderboard-around.json"
	fileLeaderboardDelete  = "leaderboard-delete.json"
	fileLeaderboardDeclare = "leaderboard-settings.json"
	fileLeaderboardRanks   = "leaderboard-ranks.json"

	// sampleBoard is the board of the samples.
	sampleBoard = "game1"
	// sampleScore is leaderboard-submit.json's score.
	sampleScore = 4200
)

// leaderboardFiles are the events of LeaderboardFunction.
var leaderboardFiles = []string{fileLeaderboardAround, fileLeaderboardDelete, fileLeaderboardRanks, fileLeaderboardDeclare, fileLeaderboardSubmit, fileLeaderboardTop}

// leaderboardTime is the request time of the leaderboard samples (API
// Gateway's requestTimeEpoch, which picks the day and week windows). Like
// the tokens' expiry it is far ahead, so that the windows the samples write
// (day 2100-01-01, ISO week 2099-W53) are live whenever they are run; the
// other samples' 2026-01-01 windows would expire the moment they were
// written.
var leaderboardTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)

// playerToken is the player of the samples, a subject of its own.
var playerToken = sampleToken{sub: "sample-player", jti: "sample-player-token", scopes: []string{"read", "write"}}

// leaderboardResourceIDs are the API Gateway resource ids of the routes.
var leaderboardResourceIDs = map[string]string{boards.RouteScores: "sc0r3s", boards.RouteBoard: "b0ard1", boards.RoutePlayer: "p1ay3r", boards.RouteRanks: "rank5x"}

// leaderboardEnv is what env.json gives LeaderboardFunction: Redis only,
// every other variable at its default.
func leaderboardEnv() map[string]string {
	return map[string]string{redisconn.EnvURL: samRedisURL}
}

// leaderboardSamples returns the leaderboard events by name.
func leaderboardSamples(t testing.TB) map[string]any {
	t.Helper()
	ev := func(name, method, resource string, params map[string]string, query string, caller sampleToken, body string) events.APIGatewayProxyRequest {
		path := resource
		for k, v := range params {
			path = strings.ReplaceAll(path, "{"+k+"}", url.PathEscape(v))
		}
		e := proxyEvent(t, name, method, resource, path, params, caller, "Bearer "+caller.sign(t), body)
		e.RequestContext.ResourceID = leaderboardResourceIDs[resource]
		e.RequestContext.RequestTime = leaderboardTime.Format("02/Jan/2006:15:04:05 -0700")
		e.RequestContext.RequestTimeEpoch = leaderboardTime.UnixMilli()
		if query != "" {
			q, err := url.ParseQuery(query)
			if err != nil {
				t.Fatal(err)
			}
			e.QueryStringParameters, e.MultiValueQueryStringParameters = map[string]string{}, map[string][]string{}
			for k, vs := range q {
				e.QueryStringParameters[k] = vs[len(vs)-1]
				e.MultiValueQueryStringParameters[k] = vs
			}
		}
		return e
	}
	board := map[string]string{"board": sampleBoard}
	player := map[string]string{"board": sampleBoard, "player": playerToken.sub}
	return map[string]any{
		fileLeaderboardSubmit: ev(fileLeaderboardSubmit, "POST", boards.RouteScores, board, "", playerToken,
			`{"player":"sample-player","score":4200,"mode":"best"}`),
		fileLeaderboardTop:    ev(fileLeaderboardTop, "GET", boards.RouteBoard, board, "period=week&limit=10", playerToken, ""),
		fileLeaderboardAround: ev(fileLeaderboardAround, "GET", boards.RoutePlayer, player, "period=day&around=2", playerToken, ""),
		fileLeaderboardDelete: ev(fileLeaderboardDelete, "DELETE", boards.RoutePlayer, player, "", adminToken, ""),
		fileLeaderboardDeclare: ev(fileLeaderboardDeclare, "PUT", boards.RouteBoard, board, "", adminToken,
			`{"order":"asc","windows":["all","month"],"ties":"none","modes":["best"]}`),
		fileLeaderboardRanks: ev(fileLeaderboardRanks, "POST", boards.RouteRanks, board, "sort=rank", playerToken,
			`{"players":["sample-player","ann","nobody"]}`),
	}
}

// TestLeaderboardSamples checks that the leaderboard files are what
// leaderboardSamples makes (with -update it writes them), decode strictly,
// and carry a caller whose token verifies and matches the authorizer
// context.
func TestLeaderboardSamples(t *testing.T) {
	samples := leaderboardSamples(t)
	if got := slices.Sorted(maps.Keys(samples)); !slices.Equal(got, leaderboardFiles) {
		t.Fatalf("leaderboardSamples makes %v, want %v", got, leaderboardFiles)
	}
	v := devVerifier(t)
	for _, name := range leaderboardFiles {
		t.Run(name, func(t *testing.T) {
			want := encode(t, samples[name])
			if *update {
				if err := os.WriteFile(name, want, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got, err := os.ReadFile(name); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("events/%s differs from what leaderboardSamples makes (%v); run: go test ./events -run TestLeaderboardSamples -update", name, err)
			}
			ev := proxySample(t, name)
			if !slices.Contains([]string{boards.RouteScores, boards.RouteBoard, boards.RoutePlayer, boards.RouteRanks}, ev.Resource) {
				t.Errorf("resource %q is not a route of the leaderboard function", ev.Resource)
			}
			id := proxyCaller(t, ev)
			raw := strings.TrimPrefix(authorization(t, name, ev.Headers, ev.MultiValueHeaders), "Bearer ")
			c, err := v.Verify(context.Background(), raw)
			if err != nil || c.Issuer != issuer || !c.IssuedAt.Equal(issuedAt) || !c.ExpiresAt.Equal(expiresAt) {
				t.Fatalf("Authorization token %+v: %v", c, err)
			}
			if id.Subject != c.Subject || id.JTI != c.ID || !slices.Equal(id.Scopes, c.Scopes) || id.Anonymous {
				t.Errorf("authorizer context %+v does not match the Authorization token %+v", id, c)
			}
			if got := time.UnixMilli(ev.RequestContext.RequestTimeEpoch).UTC(); !got.Equal(leaderboardTime) {
				t.Errorf("requestTimeEpoch is %v, want %v", got, leaderboardTime)
			}
		})
	}
}

// boardStack is the leaderboard function under the emulator, on a fresh
// redis-server, with a store on the same server to arrange and inspect.
type boardStack struct {
	redis *redis.Client
	store *leaderboard.Store
	fn    *rietest.Emulator
}

// leaderboardStackEnv is the function's environment: what env.json gives
// LeaderboardFunction, with REDIS_URL pointing at the test's server and
// debug logs.
func leaderboardStackEnv(t *testing.T, redisAddr string) []string {
	t.Helper()
	return functionEnv(t, leaderboardFunction, redisAddr)
}

func newBoardStack(t *testing.T, bin string) *boardStack {
	t.Helper()
	srv := redistest.StartServer(t)
	rdb := srv.Client(t)
	store, err := leaderboard.NewStore(rdb, keys.Builder{}, leaderboard.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return &boardStack{redis: rdb, store: store, fn: rietest.Start(t, bin, leaderboardStackEnv(t, srv.Addr))}
}

// call invokes the function; a function error fails the test.
func (s *boardStack) call(t *testing.T, payload []byte) events.APIGatewayProxyResponse {
	t.Helper()
	resp := invoke[events.APIGatewayProxyResponse](t, s.fn, "leaderboard", payload)
	if resp.Headers[apigw.HeaderRateLimit] != `"per_minute";r=4;t=12` {
		t.Errorf("RateLimit header %q, want the authorizer context's", resp.Headers[apigw.HeaderRateLimit])
	}
	return resp
}

// seed puts players on the sample board at the samples' time.
func (s *boardStack) seed(t *testing.T, scores map[string]int64) {
	t.Helper()
	for _, p := range slices.Sorted(maps.Keys(scores)) {
		if _, err := s.store.Submit(context.Background(), leaderboard.Submission{
			Board: sampleBoard, Player: p, Score: scores[p], Mode: leaderboard.ModeSet, At: leaderboardTime,
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// withQuery is the sample name with its query replaced.
func withQuery(t *testing.T, name string, q map[string]string) []byte {
	t.Helper()
	ev := proxySample(t, name)
	ev.QueryStringParameters, ev.MultiValueQueryStringParameters = q, map[string][]string{}
	for k, v := range q {
		ev.MultiValueQueryStringParameters[k] = []string{v}
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func entryList(es []boards.Entry) string {
	var parts []string
	for _, e := range es {
		b, _ := json.Marshal(e)
		parts = append(parts, string(b))
	}
	return strings.Join(parts, ",")
}

// TestLeaderboardUnderEmulator runs the real leaderboard bootstrap under
// aws-lambda-rie, as `sam local invoke` does, on a real redis-server, and
// checks each sample's answer against README.md and the server.
func TestLeaderboardUnderEmulator(t *testing.T) {
	bin := rietest.Build(t, "leaderboard")
	ctx := context.Background()
	day := leaderboard.WindowAt(leaderboard.PeriodDay, leaderboardTime)
	week := leaderboard.WindowAt(leaderboard.PeriodWeek, leaderboardTime)

	cases := map[string]func(t *testing.T, s *boardStack){
		fileLeaderboardSubmit: func(t *testing.T, s *boardStack) {
			s.seed(t, map[string]int64{"rival": 5000})
			payload := readSample(t, fileLeaderboardSubmit)
			var first, again boards.SubmitResponse
			jsonBody(t, s.call(t, payload), 200, apigw.JSONContentType, &first)
			if first.Player != playerToken.sub || first.Score != sampleScore || first.Rank != 2 || first.PreviousRank != nil {
				t.Errorf("first leaderboard-submit = %+v, want score %d rank 2, no previous rank", first, sampleScore)
			}
			jsonBody(t, s.call(t, payload), 200, apigw.JSONContentType, &again) // best: unchanged
			if again.Score != sampleScore || again.Rank != 2 || again.PreviousRank == nil || *again.PreviousRank != 2 {
				t.Errorf("second leaderboard-submit = %+v", again)
			}
			// One write, three windows: the request's day and ISO week too.
			for _, w := range []leaderboard.Window{day, week} {
				st, err := s.store.Around(ctx, sampleBoard, playerToken.sub, w, 0)
				if err != nil || st.Score != sampleScore || st.Rank != 2 {
					t.Errorf("%s %s: %+v %v", w.Period, w.ID, st, err)
				}
			}
			// A fraction is a 400 and writes nothing.
			size := s.redis.DBSize(ctx).Val()
			ev := proxySample(t, fileLeaderboardSubmit)
			ev.Body = `{"player":"sample-player","score":4200.5,"mode":"best"}`
			b, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			problem(t, s.call(t, b), apigw.TypeBadRequest)
			if n := s.redis.DBSize(ctx).Val(); n != size {
				t.Errorf("a refused submission wrote %d keys", n-size)
			}
		},
		fileLeaderboardTop: func(t *testing.T, s *boardStack) {
			var empty boards.TopResponse
			jsonBody(t, s.call(t, readSample(t, fileLeaderboardTop)), 200, apigw.JSONContentType, &empty)
			if empty.Board != sampleBoard || empty.Period != "week" || empty.Window != week.ID || len(empty.Entries) != 0 || empty.NextCursor != "" {
				t.Errorf("leaderboard-top on an empty board = %+v", empty)
			}
			s.seed(t, map[string]int64{"ann": 300, "bob": 200, "cyd": 200, "sample-player": 100})
			var got boards.TopResponse
			jsonBody(t, s.call(t, readSample(t, fileLeaderboardTop)), 200, apigw.JSONContentType, &got)
			want := `{"rank":1,"player":"ann","score":300},{"rank":2,"player":"bob","score":200},{"rank":2,"player":"cyd","score":200},{"rank":4,"player":"sample-player","score":100}`
			if entryList(got.Entries) != want || got.NextCursor != "" || got.Window != "2099-W53" {
				t.Errorf("leaderboard-top = %+v\nwant entries %s", got, want)
			}
			// Two pages of two, by cursor.
			var first, second boards.TopResponse
			jsonBody(t, s.call(t, withQuery(t, fileLeaderboardTop, map[string]string{"period": "week", "limit": "2"})), 200, apigw.JSONContentType, &first)
			if first.NextCursor == "" {
				t.Fatalf("first page of two: %+v", first)
			}
			jsonBody(t, s.call(t, withQuery(t, fileLeaderboardTop, map[string]string{"period": "week", "limit": "2", "cursor": first.NextCursor})), 200, apigw.JSONContentType, &second)
			if entryList(append(first.Entries, second.Entries...)) != want || second.NextCursor != "" {
				t.Errorf("two pages: %+v %+v", first, second)
			}
			problem(t, s.call(t, withQuery(t, fileLeaderboardTop, map[string]string{"limit": "101"})), apigw.TypeBadRequest)
		},
		fileLeaderboardAround: func(t *testing.T, s *boardStack) {
			p := problem(t, s.call(t, readSample(t, fileLeaderboardAround)), apigw.TypeNotFound)
			if p.Detail == "" {
				t.Error("404 without a detail")
			}
			s.seed(t, map[string]int64{"ann": 500, "bob": 400, "sample-player": 300, "cyd": 200, "dee": 100, "eve": 50})
			var got boards.PlayerResponse
			jsonBody(t, s.call(t, readSample(t, fileLeaderboardAround)), 200, apigw.JSONContentType, &got)
			if got.Player != playerToken.sub || got.Score != 300 || got.Rank != 3 || got.Period != "day" || got.Window != day.ID ||
				entryList(got.Above) != `{"rank":1,"player":"ann","score":500},{"rank":2,"player":"bob","score":400}` ||
				entryList(got.Below) != `{"rank":4,"player":"cyd","score":200},{"rank":5,"player":"dee","score":100}` {
				t.Errorf("leaderboard-around = %+v", got)
			}
		},
		fileLeaderboardDelete: func(t *testing.T, s *boardStack) {
			problem(t, s.call(t, readSample(t, fileLeaderboardDelete)), apigw.TypeNotFound)
			s.seed(t, map[string]int64{"sample-player": 10, "ann": 20})
			var got boards.DeleteResponse
			jsonBody(t, s.call(t, readSample(t, fileLeaderboardDelete)), 200, apigw.JSONContentType, &got)
			want := []boards.WindowRef{{Period: "all", Window: "all"}, {Period: "day", Window: day.ID}, {Period: "week", Window: week.ID}}
			if got.Board != sampleBoard || got.Player != playerToken.sub || !slices.Equal(got.Removed, want) {
				t.Errorf("leaderboard-delete = %+v, want removed from %v", got, want)
			}
			for _, w := range []leaderboard.Window{leaderboard.WindowAt(leaderboard.PeriodAll, leaderboardTime), day, week} {
				if _, err := s.store.Around(ctx, sampleBoard, playerToken.sub, w, 0); !errors.Is(err, leaderboard.ErrNotFound) {
					t.Errorf("%s %s after delete: %v", w.Period, w.ID, err)
				}
				if st, err := s.store.Around(ctx, sampleBoard, "ann", w, 0); err != nil || st.Rank != 1 {
					t.Errorf("ann on %s %s after delete: %+v %v", w.Period, w.ID, st, err)
				}
			}
			// The same event from the player itself: 403, nothing removed.
			s.seed(t, map[string]int64{"sample-player": 10})
			ev := proxySample(t, fileLeaderboardDelete)
			ev.RequestContext.Authorizer = proxySample(t, fileLeaderboardAround).RequestContext.Authorizer
			b, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			problem(t, s.call(t, b), apigw.TypeForbidden)
			if _, err := s.store.Around(ctx, sampleBoard, playerToken.sub, day, 0); err != nil {
				t.Errorf("a forbidden delete removed the player: %v", err)
			}
		},
	}

	cases[fileLeaderboardDeclare] = func(t *testing.T, s *boardStack) {
		var got boards.SettingsResponse
		jsonBody(t, s.call(t, readSample(t, fileLeaderboardDeclare)), 200, apigw.JSONContentType, &got)
		if got.Board != sampleBoard || got.Order != "asc" || got.Ties != "none" || strings.Join(got.Windows, ",") != "all,month" || strings.Join(got.Modes, ",") != "best" || !got.Declared {
			t.Errorf("leaderboard-settings = %+v", got)
		}
		// lowest wins, best keeps the lower, only the declared windows
		for _, sub := range []struct {
			player string
			score  int64
		}{{"ann", 70}, {"bob", 60}, {"bob", 65}} {
			if _, err := s.store.Submit(ctx, leaderboard.Submission{Board: sampleBoard, Player: sub.player, Score: sub.score, Mode: leaderboard.ModeBest, At: leaderboardTime}); err != nil {
				t.Fatal(err)
			}
		}
		month := leaderboard.WindowAt(leaderboard.PeriodMonth, leaderboardTime)
		if p, err := s.store.Top(ctx, sampleBoard, month, 10, nil); err != nil || len(p.Entries) != 2 || p.Entries[0].Player != "bob" || p.Entries[0].Score != 60 {
			t.Errorf("month window %+v, %v", p, err)
		}
		if p, _ := s.store.Top(ctx, sampleBoard, day, 10, nil); len(p.Entries) != 0 {
			t.Errorf("an undeclared window was written: %+v", p)
		}
		// The same declaration again is fine; another order now has players against it.
		jsonBody(t, s.call(t, readSample(t, fileLeaderboardDeclare)), 200, apigw.JSONContentType, &got)
		ev := proxySample(t, fileLeaderboardDeclare)
		ev.Body = `{"order":"desc","windows":["all","month"],"ties":"none"}`
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		problem(t, s.call(t, b), apigw.TypeConflict)
	}
	cases[fileLeaderboardRanks] = func(t *testing.T, s *boardStack) {
		s.seed(t, map[string]int64{"ann": 300, "bob": 200, "sample-player": 250})
		var got boards.RanksResponse
		jsonBody(t, s.call(t, readSample(t, fileLeaderboardRanks)), 200, apigw.JSONContentType, &got)
		b, _ := json.Marshal(got.Players)
		want := `[{"player":"ann","rank":1,"score":300,"percentile":100},{"player":"sample-player","rank":2,"score":250,"percentile":66.66},{"player":"nobody","rank":null,"score":null,"percentile":null}]`
		if got.Board != sampleBoard || got.Period != "all" || got.Total != 3 || string(b) != want {
			t.Errorf("leaderboard-ranks = %+v %s\nwant %s", got, b, want)
		}
	}

	for _, name := range leaderboardFiles {
		check, ok := cases[name]
		if !ok {
			t.Errorf("events/%s has no check under the emulator: add one to TestLeaderboardUnderEmulator and README.md", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			check(t, newBoardStack(t, bin))
		})
	}
}
