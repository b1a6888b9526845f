package boards

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

func putReq(board, body string, c caller) events.APIGatewayProxyRequest {
	return request("PUT", RouteBoard, map[string]string{"board": board}, "", body, c, lastMilli)
}

// Every settings route takes the admin scope; the order and the tie rule
// are refused with 409 once the board has players, windows and modes are
// not; a lowest-wins board keeps the lower score.
func TestSettingsRoutes(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFixture(t, rdb)
		decl := `{"order":"asc","windows":["all","month"],"ties":"earliest","modes":["best","set"]}`
		for _, c := range []caller{nobody, alice, server} {
			status, p := f.do(t, (putReq("lap", decl, c)))
			if want := map[bool]int{true: 401, false: 403}[c.anonymous]; status != want {
				t.Errorf("PUT by %+v: %d %v, want %d", c, status, p, want)
			}
			status, p = f.do(t, request("GET", RouteSettings, map[string]string{"board": "lap"}, "", "", c, lastMilli))
			if want := map[bool]int{true: 401, false: 403}[c.anonymous]; status != want || !c.anonymous && p["required_scope"] != DefaultAdminScope {
				t.Errorf("GET settings by %+v: %d %v, want %d", c, status, p, want)
			}
		}
		if n := dbSize(t, rdb); n != 0 {
			t.Fatalf("refused declarations wrote %d keys", n)
		}
		var st SettingsResponse
		f.decode(t, request("GET", RouteSettings, map[string]string{"board": "lap"}, "", "", root, lastMilli), &st)
		if st.Declared || st.Order != "desc" || strings.Join(st.Windows, ",") != "all,day,week" || st.Ties != "earliest" || len(st.Modes) != 3 {
			t.Errorf("undeclared: %+v", st)
		}
		f.decode(t, (putReq("lap", decl, root)), &st)
		if !st.Declared || st.Order != "asc" || strings.Join(st.Windows, ",") != "all,month" || strings.Join(st.Modes, ",") != "best,set" {
			t.Errorf("declared: %+v", st)
		}
		for _, sc := range []int{62, 58, 71} {
			f.decode(t, submitReq("lap", fmt.Sprintf(`{"player":"alice","score":%d,"mode":"best"}`, sc), alice, lastMilli), &SubmitResponse{})
		}
		var r SubmitResponse
		f.decode(t, submitReq("lap", `{"player":"bob","score":60,"mode":"best"}`, server, lastMilli), &r)
		if r.Score != 60 || r.Rank != 2 || r.Period != "all" || r.Window != "all" {
			t.Errorf("bob: %+v", r)
		}
		var page TopResponse
		f.decode(t, topReq("lap", "period=month", lastMilli), &page)
		if players(page.Entries) != "alice=58#1 bob=60#2 " || page.Total != 2 || page.Window != "2099-12" {
			t.Errorf("month: %+v", page)
		}
		status, p := f.do(t, submitReq("lap", `{"player":"alice","score":1,"mode":"increment"}`, alice, lastMilli))
		if status != 400 || fmt.Sprint(p["errors"]) == "" {
			t.Errorf("a mode the board refuses: %d %v", status, p)
		}
		for _, body := range []string{`{"order":"desc","windows":["all","month"],"modes":["best","set"]}`, `{"order":"asc","ties":"none","windows":["all","month"]}`} {
			status, p := f.do(t, (putReq("lap", body, root)))
			if status != 409 || p["type"] != apigw.TypeConflict.URI() || !strings.Contains(fmt.Sprint(p["detail"]), "order and tie rule") {
				t.Errorf("%s: %d %v, want 409", body, status, p)
			}
		}
		// windows may change: the day, added now, starts empty
		f.decode(t, (putReq("lap", `{"order":"asc","windows":["day","all"]}`, root)), &st)
		if strings.Join(st.Windows, ",") != "all,day" || len(st.Modes) != 3 {
			t.Errorf("after adding the day: %+v", st)
		}
		f.decode(t, topReq("lap", "period=day", lastMilli), &page)
		if len(page.Entries) != 0 || page.Total != 0 {
			t.Errorf("a window added later: %+v", page)
		}
		f.decode(t, submitReq("lap", `{"player":"cyd","score":59,"mode":"set"}`, server, lastMilli), &r)
		f.decode(t, topReq("lap", "period=day", lastMilli), &page)
		if players(page.Entries) != "cyd=59#1 " {
			t.Errorf("day: %+v", page)
		}
		f.decode(t, topReq("lap", "", lastMilli), &page)
		if players(page.Entries) != "alice=58#1 cyd=59#2 bob=60#3 " || page.Total != 3 {
			t.Errorf("all: %+v", page)
		}
	})
}

// Friends' ranks: in the order asked or by rank, absent players with null
// rank, a duplicate answered once, with data when asked.
func TestRanksRoute(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFixture(t, rdb)
		for i, p := range []string{"ann", "bob", "cyd", "dee"} {
			f.decode(t, submitReq("fr", fmt.Sprintf(`{"player":%q,"score":%d,"mode":"set","data":{"name":%q}}`, p, 10*(i%3), strings.ToUpper(p)), server, lastMilli), &SubmitResponse{})
		}
		// ann=0 bob=10 cyd=20 dee=0
		ranks := func(q, body string) RanksResponse {
			var r RanksResponse
			f.decode(t, request("POST", RouteRanks, map[string]string{"board": "fr"}, q, body, alice, lastMilli), &r)
			return r
		}
		show := func(r RanksResponse) string {
			var b strings.Builder
			for _, p := range r.Players {
				if p.Rank == nil {
					fmt.Fprintf(&b, "%s=- ", p.Player)
					continue
				}
				fmt.Fprintf(&b, "%s=%d#%d@%v%s ", p.Player, *p.Score, *p.Rank, *p.Percentile, p.Data)
			}
			return b.String()
		}
		body := `{"players":["dee","zed","cyd","dee","bob"]}`
		if got := show(ranks("", body)); got != "dee=0#3@50 zed=- cyd=20#1@100 bob=10#2@75 " {
			t.Errorf("asked order: %s", got)
		}
		r := ranks("sort=rank&period=week&with_data=true", body)
		if got := show(r); got != `cyd=20#1@100{"name":"CYD"} bob=10#2@75{"name":"BOB"} dee=0#3@50{"name":"DEE"} zed=- ` || r.Total != 4 || r.Window != "2099-W53" {
			t.Errorf("by rank: %s %+v", got, r)
		}
		var me PlayerResponse
		f.decode(t, playerReq("GET", "fr", "bob", "around=1&with_data=true", alice, lastMilli), &me)
		if me.Percentile != 75 || me.Total != 4 || string(me.Data) != `{"name":"BOB"}` || string(me.Above[0].Data) != `{"name":"CYD"}` {
			t.Errorf("bob: %+v", me)
		}
		var page TopResponse
		f.decode(t, topReq("fr", "from_rank=2&limit=2&with_data=true", lastMilli), &page)
		if players(page.Entries) != "bob=10#2 ann=0#3 " || string(page.Entries[1].Data) != `{"name":"ANN"}` || page.NextCursor == "" || page.Total != 4 {
			t.Errorf("from rank 2: %+v", page)
		}
		f.decode(t, topReq("fr", "limit=2&with_data=true&cursor="+page.NextCursor, lastMilli), &page)
		if players(page.Entries) != "dee=0#3 " || string(page.Entries[0].Data) != `{"name":"DEE"}` {
			t.Errorf("after from rank 2: %+v", page)
		}
		var del DeleteResponse
		f.decode(t, playerReq("DELETE", "fr", "bob", "", root, lastMilli), &del)
		if got := show(ranks("with_data=true", `{"players":["bob"]}`)); got != "bob=- " {
			t.Errorf("bob after delete: %s", got)
		}
	})
}
