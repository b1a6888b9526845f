package adminapi

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambdis/lambdis/api/apitest"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

// routeParams fills in every route's path parameters.
var routeParams = map[string]string{"queue": "billing", "id": "billing:0123456789abcdef0123456789abcdef", "sub": "alice"}

// TestEveryRouteNeedsTheAdminScope: every method of every route answers 401
// to an anonymous caller and 403 (required_scope, insufficient_scope) to
// one without the admin scope, or without ADMIN_SCOPE when it is another,
// before touching the store (the handler has none here: a store call would
// panic).
func TestEveryRouteNeedsTheAdminScope(t *testing.T) {
	routes := Routes()
	if len(routes) != 7 {
		t.Fatalf("routes %v: want 7 methods and resources", routes)
	}
	for _, scopeEnv := range []string{"", "ops:admin"} {
		h := &Handler{AdminScope: scopeEnv}
		want := scopeEnv
		if want == "" {
			want = DefaultAdminScope
		}
		for _, r := range routes {
			for _, c := range []struct{ sub, scope string }{{"bob", ""}, {"bob", "jobs read"}, {"bob", "admins"}, {"root", otherAdmin(want)}} {
				req := request(r[0], r[1], routeParams, nil, `{"ids":["1-0"]}`)
				req.RequestContext.Authorizer = authContext(c.sub, c.scope)
				resp := handle(t, h, apitest.OffContract(req, "a body on every method"))
				p := wantProblem(t, resp, apigw.TypeForbidden)
				if p.Extensions["required_scope"] != want || !strings.Contains(resp.Headers["WWW-Authenticate"], `error="insufficient_scope"`) {
					t.Errorf("%s %s scope %q: %+v %v", r[0], r[1], c.scope, p, resp.Headers)
				}
				if resp.Headers["RateLimit"] == "" {
					t.Errorf("%s %s: no RateLimit header on the 403", r[0], r[1])
				}
			}
			anon := request(r[0], r[1], routeParams, nil, "")
			anon.RequestContext.Authorizer = map[string]any{apigw.ContextKeyAnonymous: "true"}
			resp := handle(t, h, anon)
			wantProblem(t, resp, apigw.TypeUnauthorized)
		}
	}
}

// otherAdmin is an admin scope that is not want.
func otherAdmin(want string) string {
	if want == DefaultAdminScope {
		return "ops:admin"
	}
	return DefaultAdminScope
}

func TestWrongMethodAndRoute(t *testing.T) {
	h := &Handler{}
	resp := handle(t, h, request("PUT", RouteDead, routeParams, nil, ""))
	wantProblem(t, resp, apigw.TypeMethodNotAllowed)
	if resp.Headers["Allow"] != "GET, DELETE" {
		t.Errorf("Allow %q", resp.Headers["Allow"])
	}
	resp = handle(t, h, request("GET", "/admin/nothing", nil, nil, ""))
	wantProblem(t, resp, apigw.TypeNotFound)
}

// TestListQueues: GET /admin/queues lists every registered queue with the
// books Overviews reads, on a server and on a 3-master cluster (queues on
// different slots).
func TestListQueues(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFixture(t, rdb)
		var empty QueuesResponse
		f.do(t, request("GET", RouteQueues, nil, nil, ""), &empty)
		if empty.Queues == nil || len(empty.Queues) != 0 {
			t.Fatalf("no queue yet: %+v", empty)
		}
		f.deadJobs(t, "billing", 2)
		f.enqueue(t, "billing", "ok", 3, 0)      // backlog 3
		f.enqueue(t, "mail", "ok", 2, time.Hour) // delayed 2
		var got QueuesResponse
		f.do(t, request("GET", RouteQueues, nil, nil, ""), &got)
		if len(got.Queues) != 2 || got.Queues[0].Queue != "billing" || got.Queues[1].Queue != "mail" {
			t.Fatalf("queues %+v", got)
		}
		b, m := got.Queues[0], got.Queues[1]
		if b.Backlog != 3 || b.DeadLetters != 2 || b.Dead != 2 || b.Enqueued != 5 || b.Drift != 0 || b.Delayed != 0 || b.FirstUsed == nil || b.OldestDueMS < 0 {
			t.Errorf("billing %+v", b)
		}
		if m.Delayed != 2 || m.Backlog != 0 || m.OldestDueMS != 0 || m.DeadLetters != 0 || m.Drift != 0 {
			t.Errorf("mail %+v", m)
		}
		want, err := f.q.Overviews(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for i, o := range want {
			if v := newQueueView(o); v.Queue != got.Queues[i].Queue || v.Backlog != got.Queues[i].Backlog || v.Enqueued != got.Queues[i].Enqueued {
				t.Errorf("queue %d: API %+v, library %+v", i, got.Queues[i], v)
			}
		}
	}, redistest.BackendServer, redistest.BackendCluster)
}

// TestDeadLettersPaged: the dead letters of a queue, newest first (the
// reverse of `lambdis queue dead`), page by page with the cursor, each with its error
// history; bad parameters are 400.
func TestDeadLettersPaged(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFixture(t, rdb)
		ids := f.deadJobs(t, "billing", 3)
		lib, err := f.q.DeadLetters(context.Background(), "billing", 10, "")
		if err != nil {
			t.Fatal(err)
		}
		slices.Reverse(lib) // oldest first there, newest first here
		var p1, p2 DeadResponse
		f.do(t, request("GET", RouteDead, routeParams, url.Values{"limit": {"2"}}, ""), &p1)
		if p1.Queue != "billing" || len(p1.DeadLetters) != 2 || p1.NextCursor != lib[1].EntryID {
			t.Fatalf("page 1: %+v", p1)
		}
		f.do(t, request("GET", RouteDead, routeParams, url.Values{"limit": {"2"}, "cursor": {p1.NextCursor}}, ""), &p2)
		if len(p2.DeadLetters) != 1 || p2.NextCursor != "" {
			t.Fatalf("page 2: %+v", p2)
		}
		all := append(p1.DeadLetters, p2.DeadLetters...)
		var got []string
		for i, d := range all {
			if d.EntryID != lib[i].EntryID || d.JobID != lib[i].JobID || d.Type != "fail" || d.Attempts != 1 || d.Error != failError || d.DiedAt.IsZero() {
				t.Errorf("dead letter %d: %+v, library %+v", i, d, lib[i])
			}
			if len(d.Errors) != 1 || d.Errors[0].Attempt != 1 || d.Errors[0].Error != failError || d.Errors[0].At.IsZero() {
				t.Errorf("dead letter %d: error history %+v", i, d.Errors)
			}
			if !strings.HasPrefix(string(d.Payload), `{"n":`) {
				t.Errorf("dead letter %d: payload %s", i, d.Payload)
			}
			got = append(got, d.JobID)
		}
		if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(ids))) {
			t.Errorf("dead jobs %v, want %v", got, ids)
		}
		var def DeadResponse
		f.do(t, request("GET", RouteDead, routeParams, nil, ""), &def)
		if len(def.DeadLetters) != 3 || def.NextCursor != "" {
			t.Errorf("default limit: %+v", def)
		}
		for _, q := range []url.Values{
			{"limit": {"0"}}, {"limit": {"1001"}}, {"limit": {"x"}}, {"cursor": {"abc"}}, {"cursor": {"17"}},
			{"after": {"1-0"}}, {"limit": {"1", "2"}},
		} {
			resp := f.do(t, apitest.OffContract(request("GET", RouteDead, routeParams, q, ""), "a bad page"), nil)
			wantProblem(t, resp, apigw.TypeBadRequest)
		}
		resp := f.do(t, apitest.OffContract(request("GET", RouteDead, map[string]string{"queue": "a{b}"}, nil, ""), "a bad queue name"), nil)
		wantProblem(t, resp, apigw.TypeBadRequest)
	}, redistest.BackendServer)
}

// TestRedriveAndPurge: redrive and purge by job id, by entry id and all,
// with the ids that match nothing listed; the books follow.
func TestRedriveAndPurge(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFixture(t, rdb)
		ids := f.deadJobs(t, "billing", 4)
		unknown := "billing:ffffffffffffffffffffffffffffffff"

		var rd RedriveResponse
		f.do(t, request("POST", RouteRedrive, routeParams, nil, `{"ids":["`+ids[0]+`","`+unknown+`","`+ids[0]+`"]}`), &rd)
		if !slices.Equal(rd.Redriven, []string{ids[0]}) || !slices.Equal(rd.Missing, []string{unknown}) || rd.Queue != "billing" {
			t.Fatalf("redrive by job id: %+v", rd)
		}
		if b := f.books(t, "billing"); b.Redriven != 1 || b.DeadLetters != 3 || b.Backlog() != 1 || b.Drift() != 0 {
			t.Fatalf("books after redrive: %+v", b)
		}
		if rec, err := f.q.Status(context.Background(), ids[0]); err != nil || rec.State != queue.StateQueued {
			t.Fatalf("redriven job: %+v %v", rec, err)
		}

		dl, err := f.q.DeadLetters(context.Background(), "billing", 10, "")
		if err != nil {
			t.Fatal(err)
		}
		var pg PurgeResponse
		f.do(t, request("DELETE", RouteDead, routeParams, nil, `{"ids":["`+dl[0].EntryID+`","1-0"]}`), &pg)
		if pg.Deleted != 1 || !slices.Equal(pg.Missing, []string{"1-0"}) {
			t.Fatalf("purge by entry id: %+v", pg)
		}
		// Ids that all match nothing act on nothing: never on everything.
		f.do(t, request("DELETE", RouteDead, routeParams, nil, `{"ids":["`+unknown+`"]}`), &pg)
		f.do(t, request("POST", RouteRedrive, routeParams, nil, `{"ids":["2-0"]}`), &rd)
		if pg.Deleted != 0 || len(rd.Redriven) != 0 || f.books(t, "billing").DeadLetters != 2 {
			t.Fatalf("unknown ids: %+v %+v, books %+v", pg, rd, f.books(t, "billing"))
		}

		// No body, or {}: every dead letter.
		f.do(t, request("POST", RouteRedrive, routeParams, nil, ""), &rd)
		if len(rd.Redriven) != 2 || rd.Missing == nil || len(rd.Missing) != 0 {
			t.Fatalf("redrive all: %+v", rd)
		}
		f.drain(t, "billing", func(b queue.Books) bool { return b.Backlog() == 0 && b.DeadLetters == 3 })
		f.do(t, request("DELETE", RouteDead, routeParams, nil, "{}"), &pg)
		if b := f.books(t, "billing"); pg.Deleted != 3 || b.DeadLetters != 0 || b.Redriven != 3 || b.Dead != 7 || b.Drift() != 0 {
			t.Fatalf("purge all: %+v, books %+v", pg, b)
		}

		for _, body := range []string{`{"ids":[]}`, `{"ids":["nope"]}`, `{"ids":["billing:123"]}`} {
			wantProblem(t, f.do(t, apitest.OffContract(request("POST", RouteRedrive, routeParams, nil, body), "bad ids"), nil), apigw.TypeUnprocessable)
			wantProblem(t, f.do(t, apitest.OffContract(request("DELETE", RouteDead, routeParams, nil, body), "bad ids"), nil), apigw.TypeUnprocessable)
		}
		for _, body := range []string{`{"ids":"x"}`, `{"all":true}`, `[`} {
			wantProblem(t, f.do(t, apitest.OffContract(request("POST", RouteRedrive, routeParams, nil, body), "a bad body"), nil), apigw.TypeInvalidJSON)
		}
		wantProblem(t, f.do(t, request("DELETE", RouteDead, routeParams, url.Values{"id": {"1-0"}}, ""), nil), apigw.TypeBadRequest)
	}, redistest.BackendServer)
}

// TestJobRecord: any job's record, whoever enqueued it; 404 for an unknown
// id, 400 for what is not a job id.
func TestJobRecord(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFixture(t, rdb)
		e, err := f.q.Enqueue(context.Background(), queue.Job{Queue: "billing", Type: "fail", Payload: []byte(`{}`), Owner: "0:someone-else"})
		if err != nil {
			t.Fatal(err)
		}
		f.drain(t, "billing", func(b queue.Books) bool { return b.Dead == 1 })
		var rec queue.Record
		f.do(t, request("GET", RouteJob, map[string]string{"id": e.ID}, nil, ""), &rec)
		if rec.ID != e.ID || rec.State != queue.StateDead || rec.Attempts != 1 || len(rec.Errors) != 1 || rec.LastError != failError {
			t.Fatalf("record %+v", rec)
		}
		// The gateway may hand the parameter on escaped.
		f.do(t, request("GET", RouteJob, map[string]string{"id": url.PathEscape(e.ID)}, nil, ""), &rec)
		wantProblem(t, f.do(t, request("GET", RouteJob, routeParams, nil, ""), nil), apigw.TypeNotFound)
		wantProblem(t, f.do(t, apitest.OffContract(request("GET", RouteJob, map[string]string{"id": "nope"}, nil, ""), "a bad id"), nil), apigw.TypeBadRequest)
	}, redistest.BackendServer)
}

// TestSubjectLimits: the subject's state under every policy as its decisions
// left it, read without spending; revoke-all shown with since and until.
func TestSubjectLimits(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFixture(t, rdb)
		ctx := context.Background()
		now, err := rdb.Time(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		tok := authz.Claims{Subject: "alice", ID: "j1", IssuedAt: now.Add(-time.Minute), ExpiresAt: now.Add(time.Hour)}
		var last authz.Decision
		for range 3 {
			if last, err = f.store.DecideToken(ctx, tok, 1, testPolicies); err != nil {
				t.Fatal(err)
			}
		}
		params := map[string]string{"sub": "alice"}
		for i := range 2 { // reading twice spends nothing
			var got LimitsResponse
			f.do(t, request("GET", RouteLimits, params, nil, ""), &got)
			if got.Subject != "alice" || got.RevokedAll || got.RevokedAt != nil || len(got.Limits) != 2 {
				t.Fatalf("read %d: %+v", i, got)
			}
			pm := got.Limits[1]
			if pm.Policy != "per_minute" || pm.Remaining != last.Limit.Results[1].Remaining || pm.Remaining != 297 ||
				pm.Quota != 300 || pm.WindowSeconds != 60 || pm.Rate != 300 || pm.PeriodSeconds != 60 || pm.ResetSeconds < 1 {
				t.Errorf("read %d: per_minute %+v, the last decision left %d", i, pm, last.Limit.Results[1].Remaining)
			}
			if ps := got.Limits[0]; ps.Policy != "per_second" || ps.Quota != 20 || ps.Remaining > 20 || ps.Remaining < 17 {
				t.Errorf("read %d: per_second %+v", i, ps)
			}
		}
		cut, err := f.store.RevokeAll(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		var got LimitsResponse
		f.do(t, request("GET", RouteLimits, params, nil, ""), &got)
		if !got.RevokedAll || got.NotBefore == nil || !got.NotBefore.Equal(cut) || got.RevokedAt == nil || !got.RevokedAt.Equal(cut.Add(-5*time.Second)) || got.RevokeAllUntil == nil {
			t.Fatalf("after revoke-all (cut-off %v): %+v", cut, got)
		}
		var fresh LimitsResponse
		f.do(t, request("GET", RouteLimits, map[string]string{"sub": "bob has spaces"}, nil, ""), &fresh)
		if fresh.RevokedAll || fresh.Limits[1].Remaining != 300 || fresh.Limits[1].ResetSeconds != 0 {
			t.Errorf("a fresh subject: %+v", fresh)
		}
		wantProblem(t, f.do(t, apitest.OffContract(request("GET", RouteLimits, map[string]string{"sub": "a\x00b"}, nil, ""), "a control character"), nil), apigw.TypeBadRequest)
	})
}

// TestRedisChecks: GET /admin/redis answers the doctor's Redis checks as
// JSON, one verdict per check in the doctor's order, and writes nothing.
func TestRedisChecks(t *testing.T) {
	srv := redistest.StartServer(t)
	rdb := srv.Client(t)
	f := newFixture(t, rdb)
	ctx := context.Background()
	before, err := rdb.DBSize(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Checks []struct {
			Check, Level, Detail string
		}
		OK, Warn, Fail int
	}
	f.do(t, request("GET", RouteRedis, nil, nil, ""), &got)
	var names []string
	for _, c := range got.Checks {
		names = append(names, c.Check)
		if c.Level != "ok" || c.Detail == "" {
			t.Errorf("check %s: %s %q, want ok with a detail on a fresh redis-server", c.Check, c.Level, c.Detail)
		}
	}
	want := []string{"connect", "version", "eviction", "memory", "cluster", "scripting", "clock"}
	if !slices.Equal(names, want) || got.OK != len(want) || got.Warn != 0 || got.Fail != 0 {
		t.Errorf("checks %v (%d ok, %d warn, %d fail), want %v all ok", names, got.OK, got.Warn, got.Fail, want)
	}
	if after, err := rdb.DBSize(ctx).Result(); err != nil || after != before {
		t.Errorf("DBSIZE %d before, %d after (%v): the checks wrote", before, after, err)
	}
}
