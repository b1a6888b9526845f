package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/lambdis/lambdis/cmd/lambdis/localapi"
	"github.com/lambdis/lambdis/cmd/lambdis/localapi/localapitest"
	"github.com/lambdis/lambdis/functions/ratelimit/authorizer"
	"github.com/lambdis/lambdis/functions/worker/drainer"
	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/jobs"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/lambdis/lambdis/shared/session"
)

// The package's one headless Chromium, started by the first test that asks
// for it and stopped by TestMain; each test opens tabs in it.
var chrome struct {
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if chrome.cancel != nil {
		chrome.cancel()
	}
	os.Exit(code)
}

// chromiumPath is Debian's chromium (the .ci/run package), or another
// Chromium or Chrome on PATH.
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Screen sizes the console must be readable at.
var (
	desktop = screen{1280, 800, false}
	phone   = screen{375, 667, true}
)

type screen struct {
	width, height int64
	mobile        bool
}

// tab is one browser tab and every console message, exception and browser
// log entry of its pages.
type tab struct {
	t   *testing.T
	ctx context.Context
	mu  sync.Mutex
	log []chromedp.ConsoleMessage
}

// newTab opens a tab of the shared browser at the screen's size, or skips
// (fails under LAMBDIS_REQUIRE_INTEGRATION=1) when there is no Chromium.
func newTab(t *testing.T, sc screen) *tab {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		redistest.SkipOrFail(t, "no chromium on PATH (Debian: apt-get install chromium): the console's browser tests cannot run")
	}
	chrome.once.Do(func() {
		// NoSandbox: the tests run as root (CI's container), where
		// Chromium refuses to start sandboxed.
		opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.Headless,
			chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(int(desktop.width), int(desktop.height)))
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancel := chromedp.NewContext(alloc)
		chrome.ctx = ctx
		chrome.cancel = func() { cancel(); cancelAlloc() }
		chrome.err = chromedp.Do(ctx) // starts the browser, without a deadline
	})
	if chrome.err != nil {
		t.Fatalf("starting %s: %v", path, chrome.err)
	}
	ctx, cancel := chromedp.NewContext(chrome.ctx)
	t.Cleanup(cancel)
	tb := &tab{t: t, ctx: ctx}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			tb.mu.Lock()
			tb.log = append(tb.log, m)
			tb.mu.Unlock()
		}
	}()
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
	if sc.mobile {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	tb.do(chromedp.EmulateViewport(sc.width, sc.height, opts...))
	return tb
}

// do runs steps within a minute.
func (tb *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.t.Fatalf("browser: %v\npage text:\n%s", err, tb.text())
	}
}

// eval evaluates expr in the page into v.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// wait waits until expr is truthy in the page (the page polls the API and
// renders asynchronously), up to a generous bound.
func (tb *tab) wait(what, expr string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	guarded := `(() => { try { return (` + expr + `); } catch { return false; } })()` // an element not there yet
	if _, err := chromedp.Run(ctx, chromedp.Poll[any](guarded, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		tb.t.Fatalf("waiting for %s (%s): %v\npage text:\n%s", what, expr, err, tb.text())
	}
}

func (tb *tab) text() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	return s
}

// errors are the messages of the page that report a fault: console.error
// and console.warn calls, uncaught exceptions, and browser log errors other
// than HTTP statuses (the page shows the API's problems itself; a
// Content-Security-Policy violation is a "security" entry and counts).
func (tb *tab) errors() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	var out []string
	for _, m := range tb.log {
		switch {
		case m.IsException(), m.Type == chromedp.ConsoleError && m.Source != "network", m.Type == chromedp.ConsoleWarning:
			out = append(out, fmt.Sprintf("%s (%s:%d)", m.String(), m.URL, m.Line))
		}
	}
	return out
}

// shoot saves a screenshot of the viewport as <name>.png in
// LAMBDIS_SCREENSHOTS (docs/img to refresh the docs' set), else in a
// temporary directory.
func (tb *tab) shoot(dir, name string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

func screenshotDir(t *testing.T) string {
	dir := os.Getenv("LAMBDIS_SCREENSHOTS")
	if dir == "" {
		return t.TempDir()
	}
	if !filepath.IsAbs(dir) {
		// Relative to the repository root, as `LAMBDIS_SCREENSHOTS=docs/img go test ./functions/admin/console` reads.
		dir = filepath.Join("..", "..", "..", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// api is a client of the local API with a bearer token.
type api struct {
	base  string
	token string
}

// call sends method path with body (JSON, or none) and decodes the answer
// into out (when not nil); it returns the status.
func (a api) call(t *testing.T, method, path, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, a.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, data, err)
		}
	}
	return resp.StatusCode
}

// must is call, failing unless the status is want.
func (a api) must(t *testing.T, want int, method, path, body string, out any) {
	t.Helper()
	var raw json.RawMessage
	if got := a.call(t, method, path, body, &raw); got != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, got, raw, want)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatal(err)
		}
	}
}

// flakyHook is a webhook receiver that answers 500 to its first delivery
// and 204 to the others: a job that dies on its only attempt and succeeds
// once redriven.
type flakyHook struct{ calls atomic.Int32 }

func (f *flakyHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.calls.Add(1) == 1 {
		http.Error(w, "not yet", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// serve runs what `lambdis serve` runs (the local API over a real
// redis-server, with the worker in-process) with webhooks allowed to hook.
func serve(t *testing.T, hookURL string) string {
	t.Helper()
	rdb := redistest.StartServer(t).Client(t)
	vars := map[string]string{
		jobs.EnvWebhookAllowedURLs: hookURL,
		jobs.EnvWebhookSecret:      "console-browser-test-webhook-secret-0123456789",
		drainer.EnvLinger:          "0s", // a run returns when idle: the tick finds the redriven job
		// The default per-second burst (20) is tight for a test that
		// clicks as fast as a browser can.
		authorizer.EnvRateLimits: "per_second=50/1s:100,per_minute=3000/1m",
	}
	srv, err := localapi.New(context.Background(), localapi.Config{
		Redis: rdb, Getenv: func(k string) string { return vars[k] }, WorkerInterval: time.Second, LogOutput: localapitest.NewLog(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	return localapitest.Serve(t, srv)
}

func sign(t *testing.T, sub string, scopes ...string) string {
	t.Helper()
	tok, err := authz.SignHS256([]byte(authz.LocalDevSecret), authz.Claims{Subject: sub, Scopes: scopes}, time.Now(), 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// js quotes s for a JavaScript expression.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestConsole drives the console in a real browser against `lambdis
// serve`'s local API: it loads without a console error, lists a queue with
// a dead letter, redrives it after the confirmation (the job then
// succeeds), shows a board's ranks as the API answers them, a subject's
// limits and revoke-all, the Redis checks (or the API's problem), and a bad
// token's 401 problem; with screenshots at 1280×800 and 375×667.
func TestConsole(t *testing.T) {
	tb := newTab(t, desktop) // skips without Chromium, before any server starts
	shots := screenshotDir(t)
	hook := &flakyHook{}
	hs := httptest.NewServer(hook)
	t.Cleanup(hs.Close)
	base := serve(t, hs.URL+"/hooks")
	// The page and the test's own calls are two admins: each has its
	// subject's rate limits.
	pageToken := sign(t, "root", "admin")
	admin := api{base: base, token: sign(t, "checker", "admin")}

	// A job whose only attempt fails: a dead letter.
	var job struct{ ID string }
	admin.must(t, 202, "POST", "/jobs", `{"queue":"billing","type":"webhook","payload":{"url":"`+hs.URL+`/hooks/invoice","body":{"invoice":42}},"max_attempts":1}`, &job)
	if job.ID == "" {
		t.Fatal("enqueue answered no id")
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var dead struct {
			DeadLetters []struct {
				JobID string `json:"job_id"`
			} `json:"dead_letters"`
		}
		admin.must(t, 200, "GET", "/admin/queues/billing/dead", "", &dead)
		if len(dead.DeadLetters) == 1 && dead.DeadLetters[0].JobID == job.ID {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job did not die: %+v", dead)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Queues to list beside it: one with a job that succeeds.
	admin.must(t, 202, "POST", "/jobs", `{"queue":"cache","type":"cache.invalidate","payload":{"keys":["lambdis:cache:{user:42}"]}}`, nil)

	t.Run("loads without console errors", func(t *testing.T) {
		tb.t = t
		tb.do(chromedp.Navigate(base + "/console"))
		// No token yet: the page shows the API's 401, and takes one with Enter.
		tb.wait("the 401 problem", `document.querySelector('.problem-title')`)
		tb.do(chromedp.SendKeys(chromedp.CSS("#token"), pageToken+kb.Enter))
		tb.wait("the queues table", `document.querySelector('tr[data-queue="billing"]')`)
		if got := eval[string](tb, `sessionStorage.getItem('lambdis.console.token')`); got != pageToken {
			t.Errorf("sessionStorage holds %q", got)
		}
		if errs := tb.errors(); len(errs) > 0 {
			t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
		}
	})

	t.Run("lists the queue with its dead letter", func(t *testing.T) {
		tb.t = t
		tb.wait("one dead letter", `document.querySelector('tr[data-queue="billing"] [data-col="dead_letters"]').textContent === "1"`)
		// Keyboard: focus the queue's link and press Enter.
		tb.do(chromedp.Focus(chromedp.CSS(`tr[data-queue="billing"] a`)), chromedp.KeyEvent(kb.Enter))
		tb.wait("the dead letter", fmt.Sprintf(`document.querySelector('tr[data-job=%s]')`, js(job.ID)))
		errText := eval[string](tb, fmt.Sprintf(`document.querySelector('tr[data-job=%s] td.error p').textContent`, js(job.ID)))
		if !strings.Contains(errText, "500") {
			t.Errorf("the dead letter's error %q does not say 500", errText)
		}
		tb.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`tr[data-job=%s] summary`, js(job.ID)))))
		tb.wait("the chart's samples", `document.querySelectorAll('.chart-box figcaption')[0].textContent.includes('jobs due')`)
		tb.shoot(shots, "console-dead-letters")
	})

	t.Run("redrives it after the confirmation", func(t *testing.T) {
		tb.t = t
		tb.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`tr[data-job=%s] input[name="pick"]`, js(job.ID)))))
		tb.do(chromedp.Click(chromedp.Search(`//button[text()="Redrive selected"]`)))
		tb.wait("the confirmation", `document.getElementById('confirm').open`)
		if msg := eval[string](tb, `document.getElementById('confirm-message').textContent`); !strings.Contains(msg, "1 dead letter of queue billing") {
			t.Errorf("confirmation %q", msg)
		}
		// Cancel first: nothing is done.
		tb.do(chromedp.Click(chromedp.CSS("#confirm-cancel")))
		tb.wait("nothing done", `document.querySelector('p.status').textContent === 'Nothing done.'`)
		var still struct {
			DeadLetters []json.RawMessage `json:"dead_letters"`
		}
		admin.must(t, 200, "GET", "/admin/queues/billing/dead", "", &still)
		if len(still.DeadLetters) != 1 {
			t.Fatalf("after Cancel: %d dead letters", len(still.DeadLetters))
		}
		tb.do(chromedp.Click(chromedp.Search(`//button[text()="Redrive selected"]`)))
		tb.wait("the confirmation", `document.getElementById('confirm').open`)
		tb.do(chromedp.Click(chromedp.CSS("#confirm-ok")))
		tb.wait("no dead letters", `document.querySelector('p.empty') && document.querySelector('p.status').textContent.startsWith('Redriven: 1')`)
		admin.must(t, 200, "GET", "/admin/queues/billing/dead", "", &still)
		if len(still.DeadLetters) != 0 {
			t.Fatalf("after the redrive: %d dead letters", len(still.DeadLetters))
		}
		// The job runs again and succeeds: the page's job view says so.
		tb.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`location.hash = '#/jobs/' + encodeURIComponent(%s)`, js(job.ID))))
		for i := 0; ; i++ {
			tb.wait("the job's state", `document.querySelector('.state')`)
			if eval[string](tb, `document.querySelector('.state').textContent`) == "succeeded" {
				break
			}
			if i == 120 {
				t.Fatalf("the redriven job did not succeed:\n%s", tb.text())
			}
			time.Sleep(250 * time.Millisecond)
			tb.do(chromedp.Click(chromedp.Search(`//button[text()="Look up"]`)))
		}
		var rec struct {
			State    string
			Attempts int
		}
		admin.must(t, 200, "GET", "/admin/jobs/"+strings.ReplaceAll(job.ID, ":", "%3A"), "", &rec)
		if rec.State != "succeeded" || hook.calls.Load() != 2 {
			t.Errorf("job %+v after %d deliveries, want succeeded after 2", rec, hook.calls.Load())
		}
		tb.shoot(shots, "console-job")
		tb.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#/queues'`))
		tb.wait("the queues table", `document.querySelector('tr[data-queue="billing"] [data-col="succeeded"]').textContent === "1"`)
		tb.shoot(shots, "console-queues")
	})

	t.Run("shows a board's ranks as the API gives them", func(t *testing.T) {
		tb.t = t
		// Ties on purpose: competition ranks repeat.
		for i, score := range []int{900, 850, 850, 700, 650, 650, 650, 500, 420, 400, 380, 300, 250, 120} {
			admin.must(t, 200, "POST", "/leaderboards/game1/scores", fmt.Sprintf(`{"player":"player%02d","score":%d,"mode":"best"}`, i+1, score), nil)
		}
		type entry struct {
			Rank   int64  `json:"rank"`
			Player string `json:"player"`
			Score  int64  `json:"score"`
		}
		rows := func(table string) []entry {
			return eval[[]entry](tb, `[...document.querySelectorAll('table.`+table+` tbody tr')].map(tr => ({rank: +tr.cells[0].textContent, player: tr.cells[1].textContent, score: +tr.cells[2].textContent}))`)
		}
		var page1, page2 struct {
			Entries    []entry `json:"entries"`
			NextCursor string  `json:"next_cursor"`
		}
		admin.must(t, 200, "GET", "/leaderboards/game1?period=all&limit=10", "", &page1)
		admin.must(t, 200, "GET", "/leaderboards/game1?period=all&limit=10&cursor="+page1.NextCursor, "", &page2)

		tb.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#/leaderboards'`))
		tb.wait("the board form", `document.getElementById('board')`)
		tb.do(chromedp.SendKeys(chromedp.CSS("#board"), "game1"+kb.Enter))
		tb.wait("the top", `document.querySelectorAll('table.board tbody tr').length === 10`)
		if got := rows("board"); !slices.Equal(got, page1.Entries) {
			t.Errorf("first page:\n got %+v\nwant %+v", got, page1.Entries)
		}
		tb.do(chromedp.Click(chromedp.Search(`//button[text()="Next page"]`)))
		tb.wait("the second page", `document.querySelectorAll('table.board tbody tr').length === 4`)
		if got := rows("board"); !slices.Equal(got, page2.Entries) {
			t.Errorf("second page:\n got %+v\nwant %+v", got, page2.Entries)
		}

		var around struct {
			entry
			Above []entry `json:"above"`
			Below []entry `json:"below"`
		}
		admin.must(t, 200, "GET", "/leaderboards/game1/players/player06?period=all&around=2", "", &around)
		want := slices.Concat(around.Above, []entry{around.entry}, around.Below)
		tb.do(chromedp.SendKeys(chromedp.CSS("#player"), "player06"), chromedp.SetValue(chromedp.CSS("#around"), "2"),
			chromedp.SendKeys(chromedp.CSS("#around"), kb.Enter))
		tb.wait("the neighbours", `document.querySelector('table.around tr.me')`)
		if got := rows("around"); !slices.Equal(got, want) {
			t.Errorf("around player06:\n got %+v\nwant %+v", got, want)
		}
		if me := eval[string](tb, `document.querySelector('table.around tr[aria-current="true"]').cells[1].textContent`); me != "player06" {
			t.Errorf("the highlighted row is %q", me)
		}
		tb.shoot(shots, "console-leaderboard")
	})

	t.Run("shows a subject's limits and revokes all", func(t *testing.T) {
		tb.t = t
		user := api{base: base, token: sign(t, "alice", "read")}
		user.must(t, 200, "GET", "/tokens/self", "", nil) // spends one request
		tb.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#/limits/alice'`))
		tb.wait("the limits", `document.querySelector('table tbody tr')`)
		var limits struct {
			Limits []struct{ Policy string }
		}
		admin.must(t, 200, "GET", "/admin/subjects/alice/limits", "", &limits)
		if got := eval[[]string](tb, `[...document.querySelectorAll('table tbody th')].map(th => th.textContent)`); len(got) != len(limits.Limits) || len(got) == 0 {
			t.Errorf("policies shown %v, the API has %+v", got, limits.Limits)
		}
		tb.shoot(shots, "console-limits")
		tb.do(chromedp.Click(chromedp.Search(`//button[starts-with(text(), "Revoke all tokens")]`)))
		tb.wait("the confirmation", `document.getElementById('confirm').open`)
		tb.do(chromedp.Click(chromedp.CSS("#confirm-ok")))
		tb.wait("revoked", `document.querySelector('p.status').textContent.startsWith('Revoked')`)
		if code := user.call(t, "GET", "/tokens/self", "", nil); code != 401 {
			t.Errorf("alice's token after revoke-all: %d, want 401", code)
		}
	})

	t.Run("shows the Redis checks or the API's problem", func(t *testing.T) {
		tb.t = t
		var doc struct {
			Title, Detail string
			Checks        []json.RawMessage
		}
		code := admin.call(t, "GET", "/admin/redis", "", &doc)
		tb.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#/redis'`))
		if code == 200 {
			tb.wait("the checks", `document.querySelector('ul.checks')`)
			if n := eval[int](tb, `document.querySelectorAll('ul.checks li').length`); n != len(doc.Checks) {
				t.Errorf("%d checks shown, the API has %d", n, len(doc.Checks))
			}
		} else {
			tb.wait("the problem", `document.querySelector('.problem-title')`)
			title := eval[string](tb, `document.querySelector('.problem-title').firstChild.textContent`)
			detail := eval[string](tb, `document.querySelector('.problem-detail').textContent`)
			if title != doc.Title || detail != doc.Detail {
				t.Errorf("page shows %q / %q, the API answered %d %q / %q", title, detail, code, doc.Title, doc.Detail)
			}
		}
		tb.shoot(shots, "console-redis")
	})

	t.Run("an admin session cookie works without a token", func(t *testing.T) {
		tb.t = t
		req, err := http.NewRequest("POST", base+"/sessions", strings.NewReader(`{"device":"console test"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+admin.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var id string
		for _, c := range resp.Cookies() {
			if c.Name == session.CookieName {
				id = c.Value
			}
		}
		if resp.StatusCode != 201 || id == "" {
			t.Fatalf("POST /sessions: %d, cookies %v", resp.StatusCode, resp.Cookies())
		}
		// The browser holds the cookie (set here without Secure: the test
		// server is plain HTTP); the page forgets its token.
		if _, err := chromedp.Call(tb.ctx, network.SetCookie, network.SetCookieParams{Name: session.CookieName, Value: id, URL: base, HTTPOnly: new(true)}); err != nil {
			t.Fatal(err)
		}
		tb.do(chromedp.Click(chromedp.CSS("#forget")))
		if got := eval[string](tb, `sessionStorage.getItem('lambdis.console.token') || ''`); got != "" {
			t.Fatalf("the token is still kept: %q", got)
		}
		// A state-changing call on the cookie alone: the page sends
		// X-Requested-With, which the authorizer requires of it.
		tb.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#/limits/bob'`))
		tb.wait("bob's limits", `document.querySelector('table tbody tr')`)
		tb.do(chromedp.Click(chromedp.Search(`//button[starts-with(text(), "Revoke all tokens")]`)))
		tb.wait("the confirmation", `document.getElementById('confirm').open`)
		tb.do(chromedp.Click(chromedp.CSS("#confirm-ok")))
		tb.wait("revoked", `document.querySelector('p.status').textContent.startsWith('Revoked')`)
		var limits struct {
			RevokedAll bool `json:"revoked_all"`
		}
		admin.must(t, 200, "GET", "/admin/subjects/bob/limits", "", &limits)
		if !limits.RevokedAll {
			t.Error("bob is not revoked")
		}
	})

	t.Run("a bad token shows the 401 problem", func(t *testing.T) {
		tb.t = t
		bad := api{base: base, token: "not-a-token"}
		var p struct{ Title, Detail string }
		if code := bad.call(t, "GET", "/admin/queues", "", &p); code != 401 {
			t.Fatalf("bad token: %d", code)
		}
		tb.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#/queues'`),
			chromedp.SendKeys(chromedp.CSS("#token"), "not-a-token"+kb.Enter))
		tb.wait("the problem", `document.querySelector('.problem-title') && document.querySelector('.problem-detail')`)
		title := eval[string](tb, `document.querySelector('.problem-title').firstChild.textContent`)
		status := eval[string](tb, `document.querySelector('.problem-status').textContent`)
		detail := eval[string](tb, `document.querySelector('.problem-detail').textContent`)
		if title != p.Title || detail != p.Detail || status != " (401)" {
			t.Errorf("page shows %q%s / %q, the API answered %q / %q", title, status, detail, p.Title, p.Detail)
		}
		tb.shoot(shots, "console-unauthorized")
	})

	if errs := tb.errors(); len(errs) > 0 {
		t.Errorf("console errors during the test:\n%s", strings.Join(errs, "\n"))
	}

	t.Run("phone", func(t *testing.T) {
		ph := newTab(t, phone)
		ph.do(chromedp.Navigate(base+"/console"), chromedp.SendKeys(chromedp.CSS("#token"), pageToken+kb.Enter))
		ph.wait("the queues table", `document.querySelector('tr[data-queue="billing"]')`)
		// Readable: nothing wider than the screen but the tables, which scroll in their wrapper.
		if w := eval[int](ph, `document.documentElement.scrollWidth`); w > int(phone.width) {
			t.Errorf("the page is %d px wide on a %d px screen", w, phone.width)
		}
		ph.shoot(shots, "console-queues-phone")
		ph.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#/leaderboards?board=game1&player=player06&around=2'`))
		ph.wait("the neighbours", `document.querySelector('table.around tr.me')`)
		if w := eval[int](ph, `document.documentElement.scrollWidth`); w > int(phone.width) {
			t.Errorf("the leaderboard page is %d px wide on a %d px screen", w, phone.width)
		}
		ph.shoot(shots, "console-leaderboard-phone")
		if errs := ph.errors(); len(errs) > 0 {
			t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
		}
	})
}
