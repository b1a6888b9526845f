package boards

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/api/apitest"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/leaderboard"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

func TestSubmitAndRead(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFixture(t, rdb)
		post := func(c caller, body string) SubmitResponse {
			t.Helper()
			var r SubmitResponse
			f.decode(t, submitReq("game1", body, c, lastMilli), &r)
			return r
		}
		r := post(alice, `{"player":"alice","score":120,"mode":"best"}`)
		if r.Player != "alice" || r.Score != 120 || r.Rank != 1 || r.PreviousRank != nil {
			t.Fatalf("first submission: %+v", r)
		}
		for i, p := range []string{"bob", "cyd", "dee", "eve", "fay"} {
			post(server, fmt.Sprintf(`{"player":%q,"score":%d,"mode":"set"}`, p, 100-10*(i%3)))
		}
		r = post(alice, `{"player":"alice","score":-30,"mode":"increment"}`)
		if r.Score != 90 || r.Rank != 3 || r.PreviousRank == nil || *r.PreviousRank != 1 {
			t.Fatalf("increment: %+v", r)
		}
		// bob=100 eve=100 cyd=90 fay=90 alice=90 dee=80: ties share a rank,
		// the earlier achiever first, the next rank skips.
		want := "bob=100#1 eve=100#1 cyd=90#3 fay=90#3 alice=90#3 dee=80#6 "
		var got []Entry
		cursor := ""
		for pages := 0; ; pages++ {
			q := "limit=4"
			if cursor != "" {
				q += "&cursor=" + cursor
			}
			var page TopResponse
			f.decode(t, topReq("game1", q, lastMilli), &page)
			if page.Board != "game1" || page.Period != "all" || page.Window != "all" {
				t.Fatalf("page %+v", page)
			}
			got = append(got, page.Entries...)
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if players(got) != want {
			t.Errorf("walk: %s, want %s", players(got), want)
		}
		for _, q := range []string{"period=day", "period=week", "period=day&date=2099-12-31", "period=week&date=2099-12-28", "limit=10&period=all"} {
			var page TopResponse
			f.decode(t, topReq("game1", q, lastMilli), &page)
			if players(page.Entries) != want || page.NextCursor != "" {
				t.Errorf("%s: %s", q, players(page.Entries))
			}
		}
		var day TopResponse
		f.decode(t, topReq("game1", "period=day", lastMilli), &day)
		if day.Period != "day" || day.Window != "2099-12-31" {
			t.Errorf("day window %s %s", day.Period, day.Window)
		}
		var week TopResponse
		f.decode(t, topReq("game1", "period=week", lastMilli), &week)
		if week.Window != "2099-W53" {
			t.Errorf("week window %s", week.Window)
		}

		var me PlayerResponse
		f.decode(t, playerReq("GET", "game1", "fay", "around=2", alice, lastMilli), &me)
		if me.Player != "fay" || me.Score != 90 || me.Rank != 3 || players(me.Above) != "eve=100#1 cyd=90#3 " || players(me.Below) != "alice=90#3 dee=80#6 " {
			t.Errorf("around fay: %+v", me)
		}
		f.decode(t, playerReq("GET", "game1", "bob", "period=week", alice, lastMilli), &me)
		if me.Rank != 1 || len(me.Above) != 0 || me.Above == nil || len(me.Below) != 5 || me.Window != "2099-W53" {
			t.Errorf("bob this week, default around: %+v", me)
		}
		f.decode(t, playerReq("GET", "game1", "dee", "around=0&period=day", nobody, lastMilli), &me)
		if me.Rank != 6 || len(me.Above)+len(me.Below) != 0 {
			t.Errorf("dee, around=0, anonymous reader: %+v", me)
		}
	})
}

// The request's UTC time picks the day and week: 23:59:59.999 and
// 00:00:00.000 land in different days; past days stay readable with date=.
func TestWindowsFollowTheRequestTime(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFixture(t, rdb)
		body := `{"player":"alice","score":1,"mode":"increment"}`
		f.decode(t, submitReq("clock", body, alice, lastMilli), &SubmitResponse{})
		f.decode(t, submitReq("clock", body, alice, newYear), &SubmitResponse{})
		f.decode(t, submitReq("clock", body, alice, newYear.Add(72*time.Hour)), &SubmitResponse{}) // Monday: 2100-W01
		for _, c := range []struct {
			query string
			at    time.Time
			score int64
		}{
			{"period=day", lastMilli, 1},
			{"period=day", newYear, 1},
			{"period=day&date=2099-12-31", newYear, 1},
			{"period=week", newYear, 2}, // both in 2099-W53
			{"period=week&date=2099-12-30", newYear.Add(72 * time.Hour), 2},
			{"period=week", newYear.Add(72 * time.Hour), 1},
			{"period=all", lastMilli, 3},
		} {
			var me PlayerResponse
			f.decode(t, playerReq("GET", "clock", "alice", c.query, alice, c.at), &me)
			if me.Score != c.score {
				t.Errorf("%s at %v: score %d, want %d", c.query, c.at, me.Score, c.score)
			}
		}
		// A walk that began before midnight stays on its day.
		f.decode(t, submitReq("clock", `{"player":"bob","score":5,"mode":"set"}`, server, lastMilli), &SubmitResponse{})
		var page TopResponse
		f.decode(t, topReq("clock", "period=day&limit=1", lastMilli), &page)
		if page.NextCursor == "" {
			t.Fatal("no cursor")
		}
		f.decode(t, topReq("clock", "period=day&limit=1&cursor="+page.NextCursor, newYear), &page)
		if page.Window != "2099-12-31" || players(page.Entries) != "alice=1#2 " {
			t.Errorf("second page after midnight: %+v", page)
		}
	})
}

func TestAuthorization(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFixture(t, rdb)
		body := `{"player":"bob","score":10,"mode":"best"}`
		status, p := f.do(t, submitReq("auth", body, nobody, lastMilli))
		if status != 401 || p["type"] != apigw.TypeUnauthorized.URI() {
			t.Errorf("anonymous submit: %d %v", status, p)
		}
		status, p = f.do(t, submitReq("auth", body, alice, lastMilli))
		if status != 403 || p["required_scope"] != DefaultSubmitScope {
			t.Errorf("alice submitting for bob: %d %v", status, p)
		}
		if n := dbSize(t, rdb); n != 0 {
			t.Fatalf("refused submissions wrote %d keys", n)
		}
		for _, c := range []caller{server, root, {sub: "bob"}} {
			if status, p := f.do(t, submitReq("auth", body, c, lastMilli)); status != 200 {
				t.Errorf("%+v submitting for bob: %d %v", c, status, p)
			}
		}
		status, p = f.do(t, playerReq("DELETE", "auth", "bob", "", server, lastMilli))
		if status != 403 || p["required_scope"] != DefaultAdminScope {
			t.Errorf("delete without the admin scope: %d %v", status, p)
		}
		if status, _ := f.do(t, playerReq("DELETE", "auth", "bob", "", nobody, lastMilli)); status != 401 {
			t.Errorf("anonymous delete: %d", status)
		}
		var del DeleteResponse
		f.decode(t, playerReq("DELETE", "auth", "bob", "", root, lastMilli), &del)
		if del.Board != "auth" || del.Player != "bob" || len(del.Removed) != 3 || del.Removed[1] != (WindowRef{"day", "2099-12-31"}) {
			t.Errorf("delete: %+v", del)
		}
		for _, q := range []string{"", "period=day", "period=week"} {
			status, p := f.do(t, playerReq("GET", "auth", "bob", q, alice, lastMilli))
			if status != 404 || p["type"] != apigw.TypeNotFound.URI() {
				t.Errorf("bob after delete (%s): %d %v", q, status, p)
			}
		}
		if status, _ := f.do(t, playerReq("DELETE", "auth", "bob", "", root, lastMilli)); status != 404 {
			t.Errorf("second delete: %d", status)
		}
		// Scope names come from the configuration.
		f.h.AdminScope, f.h.SubmitScope = "ops", "scores"
		if status, _ := f.do(t, submitReq("auth", body, server, lastMilli)); status != 403 {
			t.Errorf("old submit scope still accepted: %d", status)
		}
		if status, _ := f.do(t, submitReq("auth", body, caller{sub: "svc", scopes: []string{"scores"}}, lastMilli)); status != 200 {
			t.Errorf("configured submit scope refused: %d", status)
		}
		if status, _ := f.do(t, playerReq("DELETE", "auth", "bob", "", caller{sub: "op", scopes: []string{"ops"}}, lastMilli)); status != 200 {
			t.Errorf("configured admin scope refused: %d", status)
		}
	})
}

// Every invalid board, player, score, mode, limit, cursor, period, date or
// around is a 400 problem, and nothing is written.
func TestBadInputWritesNothing(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFixture(t, rdb)
		// a valid cursor of another board, and one of a day window
		otherBoard := leaderboard.Cursor{Board: "other", Window: leaderboard.WindowAt(leaderboard.PeriodAll, lastMilli), Member: "0000000000000001p"}.String()
		dayCursor := leaderboard.Cursor{Board: "g", Window: leaderboard.WindowAt(leaderboard.PeriodDay, lastMilli.Add(-48*time.Hour)), Member: "0000000000000001p"}.String()
		bad := func(b string) string { return `{"player":"alice","score":` + b + `,"mode":"best"}` }
		// Each request is invalid under the document too (a few only under
		// the handler's rules): its answer is validated, the request not.
		refused := func(req events.APIGatewayProxyRequest) (int, map[string]any) {
			return f.do(t, apitest.OffContract(req, "bad input"))
		}
		type tc struct {
			name   string
			status int
			typ    apigw.ProblemType
			req    func() (int, map[string]any)
		}
		post := func(board, body string) func() (int, map[string]any) {
			return func() (int, map[string]any) { return refused(submitReq(board, body, alice, lastMilli)) }
		}
		top := func(board, q string) func() (int, map[string]any) {
			return func() (int, map[string]any) { return refused(topReq(board, q, lastMilli)) }
		}
		get := func(player, q string) func() (int, map[string]any) {
			return func() (int, map[string]any) { return refused(playerReq("GET", "g", player, q, alice, lastMilli)) }
		}
		ranks := func(board, q, body string) func() (int, map[string]any) {
			return func() (int, map[string]any) {
				return refused(request("POST", RouteRanks, map[string]string{"board": board}, q, body, alice, lastMilli))
			}
		}
		put := func(board, body string) func() (int, map[string]any) {
			return func() (int, map[string]any) {
				return refused(request("PUT", RouteBoard, map[string]string{"board": board}, "", body, root, lastMilli))
			}
		}
		cases := []tc{
			{"board with a brace", 400, apigw.TypeBadRequest, post("a{b}", bad("1"))},
			{"board with a colon", 400, apigw.TypeBadRequest, post("a:b", bad("1"))},
			{"empty board", 400, apigw.TypeBadRequest, post("", bad("1"))},
			{"long board", 400, apigw.TypeBadRequest, post(strings.Repeat("b", 65), bad("1"))},
			{"unicode board", 400, apigw.TypeBadRequest, top("spiel-ü", "")},
			{"player with a space", 400, apigw.TypeBadRequest, post("g", `{"player":"a b","score":1,"mode":"best"}`)},
			{"empty player", 400, apigw.TypeBadRequest, post("g", `{"player":"","score":1,"mode":"best"}`)},
			{"no player", 400, apigw.TypeBadRequest, post("g", `{"score":1,"mode":"best"}`)},
			{"long player", 400, apigw.TypeBadRequest, post("g", `{"player":"`+strings.Repeat("p", 129)+`","score":1,"mode":"best"}`)},
			{"player ..", 400, apigw.TypeBadRequest, get("..", "")},
			{"player with a slash", 400, apigw.TypeBadRequest, get("a/b", "")},
			{"fraction", 400, apigw.TypeBadRequest, post("g", bad("1.5"))},
			{"whole fraction", 400, apigw.TypeBadRequest, post("g", bad("1.0"))},
			{"exponent", 400, apigw.TypeBadRequest, post("g", bad("1e3"))},
			{"NaN", 400, apigw.TypeInvalidJSON, post("g", bad("NaN"))},
			{"Infinity", 400, apigw.TypeInvalidJSON, post("g", bad("Infinity"))},
			{"-Infinity", 400, apigw.TypeInvalidJSON, post("g", bad("-Infinity"))},
			{"string score", 400, apigw.TypeBadRequest, post("g", bad(`"5"`))},
			{"null score", 400, apigw.TypeBadRequest, post("g", bad("null"))},
			{"bool score", 400, apigw.TypeBadRequest, post("g", bad("true"))},
			{"no score", 400, apigw.TypeBadRequest, post("g", `{"player":"alice","mode":"best"}`)},
			{"2^53", 400, apigw.TypeBadRequest, post("g", bad("9007199254740992"))},
			{"-2^53", 400, apigw.TypeBadRequest, post("g", bad("-9007199254740992"))},
			{"2^63", 400, apigw.TypeBadRequest, post("g", bad("9223372036854775808"))},
			{"long digits", 400, apigw.TypeBadRequest, post("g", bad(strings.Repeat("9", 400)))},
			{"unknown mode", 400, apigw.TypeBadRequest, post("g", `{"player":"alice","score":1,"mode":"max"}`)},
			{"no mode", 400, apigw.TypeBadRequest, post("g", `{"player":"alice","score":1}`)},
			{"mode in capitals", 400, apigw.TypeBadRequest, post("g", `{"player":"alice","score":1,"mode":"BEST"}`)},
			{"unknown field", 400, apigw.TypeInvalidJSON, post("g", `{"player":"alice","score":1,"mode":"best","at":1}`)},
			{"two values", 400, apigw.TypeInvalidJSON, post("g", bad("1")+bad("2"))},
			{"empty body", 400, apigw.TypeInvalidJSON, post("g", "")},
			{"huge body", 413, apigw.TypeBodyTooLarge, post("g", `{"player":"`+strings.Repeat("p", MaxBody)+`"}`)},
			{"limit 0", 400, apigw.TypeBadRequest, top("g", "limit=0")},
			{"limit 101", 400, apigw.TypeBadRequest, top("g", "limit=101")},
			{"limit -1", 400, apigw.TypeBadRequest, top("g", "limit=-1")},
			{"limit +5", 400, apigw.TypeBadRequest, top("g", "limit=%2B5")},
			{"limit 1.5", 400, apigw.TypeBadRequest, top("g", "limit=1.5")},
			{"limit empty", 400, apigw.TypeBadRequest, top("g", "limit=")},
			{"limit twice", 400, apigw.TypeBadRequest, top("g", "limit=5&limit=6")},
			{"garbage cursor", 400, apigw.TypeBadRequest, top("g", "cursor=abc")},
			{"long cursor", 400, apigw.TypeBadRequest, top("g", "cursor="+strings.Repeat("A", 600))},
			{"cursor of another board", 400, apigw.TypeBadRequest, top("g", "cursor="+otherBoard)},
			{"cursor of another period", 400, apigw.TypeBadRequest, top("g", "cursor="+dayCursor)},
			{"cursor of another day", 400, apigw.TypeBadRequest, top("g", "period=day&date=2099-12-31&cursor="+dayCursor)},
			{"unknown period", 400, apigw.TypeBadRequest, top("g", "period=year")},
			{"period in capitals", 400, apigw.TypeBadRequest, top("g", "period=DAY")},
			{"date with period all", 400, apigw.TypeBadRequest, top("g", "date=2099-12-30")},
			{"future date", 400, apigw.TypeBadRequest, top("g", "period=day&date=2100-01-01")},
			{"bad date", 400, apigw.TypeBadRequest, top("g", "period=day&date=2099-02-30")},
			{"week as date", 400, apigw.TypeBadRequest, top("g", "period=week&date=2099-W52")},
			{"unknown parameter", 400, apigw.TypeBadRequest, top("g", "page=2")},
			{"around on a page", 400, apigw.TypeBadRequest, top("g", "around=3")},
			{"around 51", 400, apigw.TypeBadRequest, get("alice", "around=51")},
			{"around -1", 400, apigw.TypeBadRequest, get("alice", "around=-1")},
			{"around x", 400, apigw.TypeBadRequest, get("alice", "around=x")},
			{"limit on a player", 400, apigw.TypeBadRequest, get("alice", "limit=3")},
			{"body on a read", 400, apigw.TypeInvalidJSON, func() (int, map[string]any) {
				req := topReq("g", "", lastMilli)
				req.Body = `{"limit":3}`
				return refused(req)
			}},
			{"query on a delete", 400, apigw.TypeBadRequest, func() (int, map[string]any) {
				return refused(playerReq("DELETE", "g", "alice", "period=day", root, lastMilli))
			}},
			{"bad player on a delete", 400, apigw.TypeBadRequest, func() (int, map[string]any) {
				return refused(playerReq("DELETE", "g", "a b", "", root, lastMilli))
			}},
			{"wrong method", 405, apigw.TypeMethodNotAllowed, func() (int, map[string]any) {
				return refused(request("PUT", RoutePlayer, map[string]string{"board": "g", "player": "alice"}, "", "", alice, lastMilli))
			}},
			// the parameters of settings, friends' ranks, data and pages
			{"from_rank 0", 400, apigw.TypeBadRequest, top("g", "from_rank=0")},
			{"from_rank -1", 400, apigw.TypeBadRequest, top("g", "from_rank=-1")},
			{"from_rank x", 400, apigw.TypeBadRequest, top("g", "from_rank=x")},
			{"from_rank 01", 400, apigw.TypeBadRequest, top("g", "from_rank=01")},
			{"from_rank huge", 400, apigw.TypeBadRequest, top("g", "from_rank=10000000000")},
			{"from_rank with a cursor", 400, apigw.TypeBadRequest, top("g", "from_rank=2&cursor="+otherBoard)},
			{"with_data yes", 400, apigw.TypeBadRequest, top("g", "with_data=yes")},
			{"with_data on a player", 400, apigw.TypeBadRequest, get("alice", "with_data=1")},
			{"data not an object", 400, apigw.TypeBadRequest, post("g", `{"player":"alice","score":1,"mode":"best","data":[1]}`)},
			{"data a string", 400, apigw.TypeBadRequest, post("g", `{"player":"alice","score":1,"mode":"best","data":"x"}`)},
			{"data over 1 KiB", 400, apigw.TypeBadRequest, post("g", `{"player":"alice","score":1,"mode":"best","data":{"a":"`+strings.Repeat("x", leaderboard.MaxDataLen)+`"}}`)},
			{"data not JSON", 400, apigw.TypeInvalidJSON, post("g", `{"player":"alice","score":1,"mode":"best","data":{"a":}}`)},
			{"ranks without players", 400, apigw.TypeBadRequest, ranks("g", "", `{"players":[]}`)},
			{"ranks of 101 players", 400, apigw.TypeBadRequest, ranks("g", "", `{"players":[`+strings.TrimSuffix(strings.Repeat(`"p",`, 101), ",")+`]}`)},
			{"ranks of a bad player", 400, apigw.TypeBadRequest, ranks("g", "", `{"players":["ok","a b"]}`)},
			{"ranks of a number", 400, apigw.TypeInvalidJSON, ranks("g", "", `{"players":[1]}`)},
			{"ranks sort=score", 400, apigw.TypeBadRequest, ranks("g", "sort=score", `{"players":["p"]}`)},
			{"ranks period=year", 400, apigw.TypeBadRequest, ranks("g", "period=year", `{"players":["p"]}`)},
			{"ranks limit", 400, apigw.TypeBadRequest, ranks("g", "limit=3", `{"players":["p"]}`)},
			{"settings order", 400, apigw.TypeBadRequest, put("g", `{"order":"up"}`)},
			{"settings ties", 400, apigw.TypeBadRequest, put("g", `{"ties":"first"}`)},
			{"settings no windows", 400, apigw.TypeBadRequest, put("g", `{"windows":[]}`)},
			{"settings window year", 400, apigw.TypeBadRequest, put("g", `{"windows":["all","year"]}`)},
			{"settings window twice", 400, apigw.TypeBadRequest, put("g", `{"windows":["day","day"]}`)},
			{"settings no modes", 400, apigw.TypeBadRequest, put("g", `{"modes":[]}`)},
			{"settings mode max", 400, apigw.TypeBadRequest, put("g", `{"modes":["max"]}`)},
			{"settings unknown field", 400, apigw.TypeInvalidJSON, put("g", `{"reverse":true}`)},
			{"settings order null", 400, apigw.TypeBadRequest, put("g", `{"order":""}`)},
			{"settings query", 400, apigw.TypeBadRequest, func() (int, map[string]any) {
				return refused(request("PUT", RouteBoard, map[string]string{"board": "g"}, "order=asc", `{}`, root, lastMilli))
			}},
			{"settings bad board", 400, apigw.TypeBadRequest, put("a:b", `{}`)},
			{"unknown route", 404, apigw.TypeNotFound, func() (int, map[string]any) {
				return refused(request("GET", "/leaderboards", nil, "", "", alice, lastMilli))
			}},
		}
		for _, c := range cases {
			status, p := c.req()
			if status != c.status || p["type"] != c.typ.URI() || p["detail"] == "" {
				t.Errorf("%s: %d %v, want %d %s", c.name, status, p, c.status, c.typ)
			}
		}
		// An invalid body value is named by a JSON Pointer.
		for body, pointer := range map[string]string{
			bad("1.5"): "/score", `{"player":"a b","score":1,"mode":"best"}`: "/player", `{"player":"alice","score":1,"mode":"max"}`: "/mode",
		} {
			_, p := refused(submitReq("g", body, alice, lastMilli))
			errs, _ := p["errors"].([]any)
			if len(errs) != 1 || errs[0].(map[string]any)["pointer"] != pointer {
				t.Errorf("%s: errors %v, want one at %s", body, p["errors"], pointer)
			}
		}
		if n := dbSize(t, rdb); n != 0 {
			t.Fatalf("bad requests wrote %d keys", n)
		}
		// An increment past the limit is refused as a whole.
		f.decode(t, submitReq("g", `{"player":"alice","score":9007199254740991,"mode":"set"}`, alice, lastMilli), &SubmitResponse{})
		status, p := f.do(t, submitReq("g", `{"player":"alice","score":1,"mode":"increment"}`, alice, newYear))
		if status != 400 || p["type"] != apigw.TypeBadRequest.URI() || fmt.Sprint(p["errors"]) != `[map[detail:The field "score" would take the player's total beyond ±9007199254740991; nothing was written. pointer:/score]]` {
			t.Fatalf("increment past the limit: %d %v", status, p)
		}
		var day TopResponse
		f.decode(t, topReq("g", "period=day", newYear), &day)
		if len(day.Entries) != 0 {
			t.Errorf("the refused increment wrote the new day: %+v", day)
		}
	})
}

func TestMethodNotAllowedNamesTheMethods(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	f := newFixture(t, rdb)
	for resource, allow := range map[string]string{RouteScores: "POST", RouteBoard: "GET, PUT", RoutePlayer: "DELETE, GET", RouteSettings: "GET", RouteRanks: "POST"} {
		resp, err := f.handle(t, request("PATCH", resource, map[string]string{"board": "g", "player": "p"}, "", "", alice, lastMilli))
		if err != nil || resp.StatusCode != 405 || resp.Headers["Allow"] != allow {
			t.Errorf("%s: %d %v %v", resource, resp.StatusCode, resp.Headers, err)
		}
	}
}

// A store that cannot be reached answers 503, never a made-up result.
func TestStoreDownIs503(t *testing.T) {
	srv := redistest.StartServer(t)
	f := newFixture(t, srv.Client(t))
	f.h.StoreTimeout = 300 * time.Millisecond
	srv.Stop()
	for _, req := range []func() (int, map[string]any){
		func() (int, map[string]any) {
			return f.do(t, submitReq("g", `{"player":"alice","score":1,"mode":"best"}`, alice, lastMilli))
		},
		func() (int, map[string]any) { return f.do(t, topReq("g", "", lastMilli)) },
		func() (int, map[string]any) { return f.do(t, playerReq("GET", "g", "alice", "", alice, lastMilli)) },
		func() (int, map[string]any) { return f.do(t, playerReq("DELETE", "g", "alice", "", root, lastMilli)) },
	} {
		status, p := req()
		if status != 503 || p["type"] != apigw.TypeStoreUnavailable.URI() {
			t.Errorf("store down: %d %v", status, p)
		}
	}
	if !strings.Contains(f.logs.String(), `"level":"ERROR"`) {
		t.Errorf("store failures not logged: %s", f.logs.String())
	}
}

func TestFromEnvNamesTheVariable(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	for name, val := range map[string]string{
		EnvStoreTimeout:      "slow",
		EnvRetention:         "soon",
		"LAMBDIS_KEY_PREFIX": "{x}",
	} {
		_, err := FromEnv(context.Background(), func(k string) string {
			if k == name {
				return val
			}
			return ""
		}, rdb, nil)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: %v", name, val, err)
		}
	}
	for _, v := range []string{"0", "30m", "91d", "-1d", "2200h", "1.5d", "d"} {
		if _, err := FromEnv(context.Background(), func(k string) string {
			return map[string]string{EnvRetention: v}[k]
		}, rdb, nil); err == nil || !strings.Contains(err.Error(), EnvRetention) {
			t.Errorf("%s=%q: %v", EnvRetention, v, err)
		}
	}
	h, err := FromEnv(context.Background(), func(k string) string {
		return map[string]string{EnvAdminScope: "ops", EnvSubmitScope: "scores", EnvRetention: "30d", EnvStoreTimeout: "250ms"}[k]
	}, rdb, nil)
	if err != nil || h.AdminScope != "ops" || h.SubmitScope != "scores" || h.StoreTimeout != 250*time.Millisecond {
		t.Fatalf("%+v %v", h, err)
	}
	if r := h.Store.(*leaderboard.Store).Config().Retention; r != 30*24*time.Hour {
		t.Errorf("retention %v", r)
	}
	h, err = FromEnv(context.Background(), func(string) string { return "" }, rdb, nil)
	if err != nil || h.AdminScope != DefaultAdminScope || h.SubmitScope != DefaultSubmitScope || h.Store.(*leaderboard.Store).Config().Retention != leaderboard.DefaultRetention {
		t.Fatalf("defaults: %+v %v", h, err)
	}
	h, err = FromEnv(context.Background(), func(k string) string { return map[string]string{EnvRetention: "36h"}[k] }, rdb, nil)
	if err != nil || h.Store.(*leaderboard.Store).Config().Retention != 36*time.Hour {
		t.Fatalf("36h: %v", err)
	}
}
