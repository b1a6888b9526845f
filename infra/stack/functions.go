package stack

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Role says how a function is invoked.
type Role int

const (
	// Authorizer is the REST API's REQUEST authorizer.
	Authorizer Role = iota
	// API functions are Lambda proxy integrations of Routes.
	API
	// Scheduled functions are invoked by EventBridge Scheduler.
	Scheduled
)

// Route is one REST API method: an HTTP method on a resource path, as
// cmd/lambdis/localapi's route table writes it.
type Route struct {
	Method string
	Path   string
}

func (r Route) String() string { return r.Method + " " + r.Path }

// Spec is one deployed function: functions/<Name>, code dist/<Name>.
type Spec struct {
	Name    string
	Role    Role
	Memory  int // MB
	Timeout time.Duration
	Routes  []Route
	// Public routes are served without the authorizer: pages and assets
	// that hold no data and call the API with the caller's own credentials
	// (the admin console's). The function must answer them without a caller.
	Public []Route
	// JWT: the function verifies tokens (JWT_* and AUTHZ_MAX_TOKEN_TTL).
	JWT bool
	// Jobs: the function reads the job types' configuration (JOB_RETENTION,
	// WEBHOOK_*).
	Jobs bool
	// Admin: the function shows the state the others keep, so it reads
	// their settings: the authorizer's RATE_LIMITS and AUTHZ_MAX_TOKEN_TTL,
	// and JOB_RETENTION (no secret but the cache's).
	Admin bool
}

// LogicalID is the CloudFormation logical id of the function, the name
// `sam local invoke` and events/env.json use: RatelimitFunction, ...
func (s Spec) LogicalID() string {
	return strings.ToUpper(s.Name[:1]) + s.Name[1:] + "Function"
}

// Functions is the table of deployed functions: every directory under
// functions/ must have a row (CheckFunctionDirs, and a test, enforce it).
// API Gateway waits at most 29 s for an integration, so API timeouts stay
// well inside it; the authorizer's budget is its Redis round trip.
var Functions = []Spec{
	{Name: "ratelimit", Role: Authorizer, Memory: 256, Timeout: 5 * time.Second, JWT: true},
	{Name: "revoke", Role: API, Memory: 256, Timeout: 10 * time.Second, JWT: true, Routes: []Route{
		{"POST", "/tokens/revoke"},
		{"POST", "/users/{sub}/revoke-all"},
		{"GET", "/tokens/self"},
	}},
	{Name: "enqueue", Role: API, Memory: 256, Timeout: 10 * time.Second, Jobs: true, Routes: []Route{
		{"POST", "/jobs"},
		{"POST", "/jobs/batch"},
		{"GET", "/jobs/{id}"},
	}},
	// The worker's timeout is longer than the schedule's interval
	// (ScheduleInterval): a run that lingers on due work overlaps the
	// next tick, so a delayed job due at any time finds a worker awake.
	{Name: "worker", Role: Scheduled, Memory: 512, Timeout: 2 * time.Minute, Jobs: true},
	{Name: "leaderboard", Role: API, Memory: 256, Timeout: 10 * time.Second, Routes: []Route{
		{"POST", "/leaderboards/{board}/scores"},
		{"GET", "/leaderboards/{board}"},
		{"GET", "/leaderboards/{board}/players/{player}"},
		{"DELETE", "/leaderboards/{board}/players/{player}"},
		{"PUT", "/leaderboards/{board}"},
		{"GET", "/leaderboards/{board}/settings"},
		{"POST", "/leaderboards/{board}/ranks"},
	}},
	{Name: "session", Role: API, Memory: 256, Timeout: 10 * time.Second, Routes: []Route{
		{"POST", "/sessions"},
		{"GET", "/sessions"},
		{"DELETE", "/sessions"},
		{"DELETE", "/sessions/{handle}"},
	}},
	// The admin API (functions/admin): every route needs the admin scope,
	// which the function checks; a redrive of every dead letter is one
	// script call per hundred, within ADMIN_STORE_TIMEOUT (10 s).
	{Name: "admin", Role: API, Memory: 256, Timeout: 15 * time.Second, Admin: true, Routes: []Route{
		{"GET", "/admin/queues"},
		{"GET", "/admin/queues/{queue}/dead"},
		{"DELETE", "/admin/queues/{queue}/dead"},
		{"POST", "/admin/queues/{queue}/dead/redrive"},
		{"GET", "/admin/jobs/{id}"},
		{"GET", "/admin/subjects/{sub}/limits"},
		{"GET", "/admin/redis"},
	}, Public: []Route{
		// The web console (functions/admin/console): its page and assets,
		// text only (no binary media types needed); every API call the
		// page makes carries the caller's token or session cookie.
		{"GET", "/console"},
		{"GET", "/console/{asset+}"},
	}},
}

// HealthRoute is the one unauthenticated method API Gateway answers itself
// (a mock integration), see api.go; the others are functions' Public routes.
var HealthRoute = Route{"GET", "/health"}

func specByName(name string) (Spec, bool) {
	i := slices.IndexFunc(Functions, func(s Spec) bool { return s.Name == name })
	if i < 0 {
		return Spec{}, false
	}
	return Functions[i], true
}

// FunctionDirs lists the directories under <root>/functions, sorted.
func FunctionDirs(root string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		return nil, fmt.Errorf("stack: listing functions: %w", err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	return dirs, nil
}

// CheckFunctionDirs fails when a directory under functions/ has no row in
// Functions (it would not be deployed) or a row has no directory.
func CheckFunctionDirs(root string) error {
	dirs, err := FunctionDirs(root)
	if err != nil {
		return err
	}
	var missing, extra []string
	for _, d := range dirs {
		if _, ok := specByName(d); !ok {
			missing = append(missing, d)
		}
	}
	for _, s := range Functions {
		if !slices.Contains(dirs, s.Name) {
			extra = append(extra, s.Name)
		}
	}
	switch {
	case len(missing) > 0:
		return fmt.Errorf("stack: functions/%s not deployed: add a row to stack.Functions (infra/stack/functions.go)", strings.Join(missing, ", functions/"))
	case len(extra) > 0:
		return fmt.Errorf("stack: stack.Functions names %s, but there is no such directory under functions/", strings.Join(extra, ", "))
	}
	return nil
}
