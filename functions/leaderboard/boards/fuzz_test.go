package boards

import (
	"context"
	"encoding/json"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/api/apitest"
	"github.com/lambdis/lambdis/shared/leaderboard"
	"github.com/lambdis/lambdis/shared/redistest"
)

// The documented alphabets and the integer grammar, written independently
// of the code under test.
var (
	boardRE  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	playerRE = regexp.MustCompile(`^[A-Za-z0-9_.~:@|+-]{1,128}$`)
	intRE    = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)
)

func validPlayer(p string) bool { return playerRE.MatchString(p) && p != "." && p != ".." }

// validSubmission is the oracle of parseSubmit: a JSON object with exactly
// player, score and mode, each valid, each named exactly and once
// (apigw.DecodeJSON refuses the other spellings and the duplicates that
// encoding/json would accept).
func validSubmission(body string) bool {
	if !utf8.ValidString(body) {
		return false
	}
	var m map[string]json.RawMessage
	dec := json.NewDecoder(strings.NewReader(body))
	if dec.Decode(&m) != nil || m == nil {
		return false
	}
	if _, err := dec.Token(); err != io.EOF {
		return false
	}
	// the members in body order, to find the last match of each name
	var order []string
	tokens := json.NewDecoder(strings.NewReader(body))
	_, _ = tokens.Token() // {
	for tokens.More() {
		k, _ := tokens.Token()
		order = append(order, k.(string))
		var skip json.RawMessage
		_ = tokens.Decode(&skip)
	}
	fields := map[string]json.RawMessage{}
	for _, k := range order {
		if _, twice := fields[k]; twice {
			return false // a member given twice is refused
		}
		switch k {
		case "player", "score", "mode": // names match exactly
			fields[k] = m[k]
		default:
			return false
		}
	}
	var player, mode string
	if json.Unmarshal(fields["player"], &player) != nil || json.Unmarshal(fields["mode"], &mode) != nil {
		return false
	}
	score := string(fields["score"])
	n, err := strconv.ParseInt(score, 10, 64)
	return validPlayer(player) && (mode == "best" || mode == "increment" || mode == "set") &&
		intRE.MatchString(score) && err == nil && n <= leaderboard.MaxScore && n >= -leaderboard.MaxScore
}

// FuzzSubmitBody: no body crashes the handler or gets a 5xx; a body is
// accepted only if it is a valid submission, and a refused one writes
// nothing.
func FuzzSubmitBody(f *testing.F) {
	_, rdb := redistest.Miniredis(f)
	fx := newFixture(f, rdb)
	for _, s := range []string{
		`{"player":"alice","score":1,"mode":"best"}`, `{"player":"alice","score":-9007199254740991,"mode":"set"}`,
		`{"player":"alice","score":9007199254740992,"mode":"set"}`, `{"player":"alice","score":1.5,"mode":"best"}`,
		`{"player":"alice","score":1e2,"mode":"best"}`, `{"player":"alice","score":-0,"mode":"increment"}`,
		`{"player":"alice","score":NaN,"mode":"best"}`, `{"player":"alice","score":"1","mode":"best"}`,
		`{"player":"alice","score":1,"mode":"best","player":"bob"}`, `{"player":"a\u0000","score":1,"mode":"best"}`,
		`{"player":"alice","score":01,"mode":"best"}`, `{"player":"alice","score":1,"mode":"best"} x`,
		`{"plAYer":"000000000000","sCore":0,"mode":"best"}`, `{"player":"alice","Player":"a b","score":1,"mode":"set"}`,
		"", "{}", "null", "[]", `{"player":"alice","score":1,"mode":"Best"}`, "\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		before := rdb.DBSize(context.Background()).Val()
		resp, err := fx.handle(t, apitest.OffContract(submitReq("fuzz", body, server, lastMilli), "a fuzzed body"))
		if err != nil || resp.StatusCode >= 500 {
			t.Fatalf("body %q: %d %s %v", body, resp.StatusCode, resp.Body, err)
		}
		valid := validSubmission(body)
		switch {
		case resp.StatusCode == 200 && !valid:
			t.Fatalf("body %q accepted, but it is not a valid submission", body)
		case resp.StatusCode != 200 && valid:
			t.Fatalf("valid body %q refused: %d %s", body, resp.StatusCode, resp.Body)
		case resp.StatusCode != 200 && rdb.DBSize(context.Background()).Val() != before:
			t.Fatalf("refused body %q wrote keys", body)
		}
	})
}

// FuzzQuery: no query crashes the reads or gets a 5xx, and reads never
// write.
func FuzzQuery(f *testing.F) {
	_, rdb := redistest.Miniredis(f)
	fx := newFixture(f, rdb)
	for _, p := range []string{"alice", "bob", "cyd"} {
		fx.decode(f, submitReq("fuzz", `{"player":"`+p+`","score":5,"mode":"set"}`, server, lastMilli), &SubmitResponse{})
	}
	var page TopResponse
	fx.decode(f, topReq("fuzz", "limit=1", lastMilli), &page)
	before := rdb.DBSize(context.Background()).Val()
	for _, s := range [][5]string{
		{"all", "", "1", page.NextCursor, ""}, {"day", "2099-12-31", "100", "", ""}, {"week", "2099-12-28", "0", "", "3"},
		{"month", "2099-13-01", "-1", "abc", "51"}, {"", "", "", "", ""}, {"day", "2100-01-01", "1e1", "=", "0"},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4])
	}
	f.Fuzz(func(t *testing.T, period, date, limit, cursor, around string) {
		q := map[string]string{}
		for k, v := range map[string]string{"period": period, "date": date, "limit": limit, "cursor": cursor} {
			if v != "" {
				q[k] = v
			}
		}
		reqs := []events.APIGatewayProxyRequest{topReq("fuzz", "", lastMilli), playerReq("GET", "fuzz", "alice", "", alice, lastMilli)}
		reqs[0].QueryStringParameters = q
		pq := map[string]string{}
		for k, v := range map[string]string{"period": period, "date": date, "around": around} {
			if v != "" {
				pq[k] = v
			}
		}
		reqs[1].QueryStringParameters = pq
		for _, req := range reqs {
			resp, err := fx.handle(t, apitest.OffContract(req, "a fuzzed query"))
			if err != nil || resp.StatusCode >= 500 {
				t.Fatalf("%v: %d %s %v", req.QueryStringParameters, resp.StatusCode, resp.Body, err)
			}
			if resp.StatusCode != 200 && resp.StatusCode != 400 && resp.StatusCode != 404 {
				t.Fatalf("%v: %d %s", req.QueryStringParameters, resp.StatusCode, resp.Body)
			}
		}
		if rdb.DBSize(context.Background()).Val() != before {
			t.Fatalf("a read wrote keys")
		}
	})
}

// FuzzPath: board and player path parameters are accepted exactly when
// they are in the documented alphabets, and never crash the handler.
func FuzzPath(f *testing.F) {
	_, rdb := redistest.Miniredis(f)
	fx := newFixture(f, rdb)
	for _, s := range [][2]string{
		{"game1", "alice"}, {"a{b}", "x"}, {"g", "auth0|5f7c8e"}, {"g", ".."}, {"", ""}, {"g:1", "a b"},
		{"g", "a\nb"}, {"ü", "é"}, {"g", "a/b"}, {"g-_1", "x+y@z.com~:"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, board, player string) {
		before := rdb.DBSize(context.Background()).Val()
		resp, err := fx.handle(t, apitest.OffContract(playerReq("GET", board, player, "", alice, lastMilli), "a fuzzed board and player"))
		if err != nil || resp.StatusCode >= 500 {
			t.Fatalf("%q %q: %d %s %v", board, player, resp.StatusCode, resp.Body, err)
		}
		valid := boardRE.MatchString(board) && validPlayer(player)
		// a valid player is found (200) if an earlier input submitted it
		if (resp.StatusCode == 400) == valid || resp.StatusCode != 400 && resp.StatusCode != 404 && resp.StatusCode != 200 {
			t.Fatalf("GET %q %q: %d %s (valid: %v)", board, player, resp.StatusCode, resp.Body, valid)
		}
		body, _ := json.Marshal(map[string]any{"player": player, "score": 1, "mode": "best"})
		resp, err = fx.handle(t, apitest.OffContract(submitReq(board, string(body), server, lastMilli), "a fuzzed board and player"))
		if err != nil || resp.StatusCode >= 500 {
			t.Fatalf("POST %q %q: %d %s %v", board, player, resp.StatusCode, resp.Body, err)
		}
		if (resp.StatusCode == 200) != valid {
			t.Fatalf("POST %q %q: %d %s (valid: %v)", board, player, resp.StatusCode, resp.Body, valid)
		}
		if !valid && rdb.DBSize(context.Background()).Val() != before {
			t.Fatalf("invalid %q %q wrote keys", board, player)
		}
	})
}
