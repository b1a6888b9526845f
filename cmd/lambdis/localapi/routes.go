package localapi

import (
	"context"
	"fmt"
	"net/http"

	"github.com/lambdis/lambdis/functions/admin/adminapi"
	"github.com/lambdis/lambdis/functions/admin/console"
	"github.com/lambdis/lambdis/functions/enqueue/jobsapi"
	"github.com/lambdis/lambdis/functions/leaderboard/boards"
	"github.com/lambdis/lambdis/functions/revoke/revocation"
	"github.com/lambdis/lambdis/functions/session/sessionsapi"
)

// routes builds every function the API invokes, from the environment, as
// each function's main.go does, and returns the route table: the methods and
// resource templates the CDK stack defines, each with its integration.
//
// To put a new function behind the local API, build its handler here and add
// one line per method and resource:
//
//	jobs, err := enqueue.FromEnv(ctx, s.getenv, s.rdb, nil, s.functionLog("enqueue"))
//	if err != nil {
//		return nil, fmt.Errorf("localapi: %w", err)
//	}
//	...
//	{http.MethodPost, "/jobs", Authorized, jobs.Handle},
//	{http.MethodGet, "/jobs/{id}", Authorized, jobs.Handle},
func (s *Server) routes(ctx context.Context) ([]Route, error) {
	revoke, err := revocation.FromEnv(ctx, s.getenv, s.rdb, nil, s.functionLog("revoke"))
	if err != nil {
		return nil, fmt.Errorf("localapi: %w", err)
	}
	jobs, err := jobsapi.FromEnv(ctx, s.getenv, s.rdb, nil, s.functionLog("enqueue"))
	if err != nil {
		return nil, fmt.Errorf("localapi: %w", err)
	}
	if s.worker != nil {
		jobs.SetWaker(s.worker) // an enqueue wakes the in-process worker at once
	}
	leaderboard, err := boards.FromEnv(ctx, s.getenv, s.rdb, s.functionLog("leaderboard"))
	if err != nil {
		return nil, fmt.Errorf("localapi: %w", err)
	}
	sessions, err := sessionsapi.FromEnv(ctx, s.getenv, s.rdb, s.functionLog("session"))
	if err != nil {
		return nil, fmt.Errorf("localapi: %w", err)
	}
	admin, err := adminapi.FromEnv(ctx, s.getenv, s.rdb, s.functionLog("admin"))
	if err != nil {
		return nil, fmt.Errorf("localapi: %w", err)
	}
	if rc, ok := admin.Redis.(adminapi.RedisChecks); ok && s.embedded {
		admin.Redis = embeddedChecks{rc}
	}

	return []Route{
		{http.MethodGet, "/health", NoAuth, s.health},
		{http.MethodGet, "/openapi.json", NoAuth, s.openapi},
		{http.MethodPost, "/tokens/revoke", Authorized, revoke.Handle},
		{http.MethodPost, "/users/{sub}/revoke-all", Authorized, revoke.Handle},
		{http.MethodGet, "/tokens/self", Authorized, revoke.Handle},
		{http.MethodPost, "/jobs", Authorized, jobs.Handle},
		{http.MethodPost, "/jobs/batch", Authorized, jobs.Handle},
		{http.MethodGet, "/jobs/{id}", Authorized, jobs.Handle},
		{http.MethodPost, "/leaderboards/{board}/scores", Authorized, leaderboard.Handle},
		{http.MethodGet, "/leaderboards/{board}", Authorized, leaderboard.Handle},
		{http.MethodGet, "/leaderboards/{board}/players/{player}", Authorized, leaderboard.Handle},
		{http.MethodDelete, "/leaderboards/{board}/players/{player}", Authorized, leaderboard.Handle},
		{http.MethodPut, "/leaderboards/{board}", Authorized, leaderboard.Handle},
		{http.MethodGet, "/leaderboards/{board}/settings", Authorized, leaderboard.Handle},
		{http.MethodPost, "/leaderboards/{board}/ranks", Authorized, leaderboard.Handle},
		{http.MethodPost, "/sessions", Authorized, sessions.Handle},
		{http.MethodGet, "/sessions", Authorized, sessions.Handle},
		{http.MethodDelete, "/sessions", Authorized, sessions.Handle},
		{http.MethodDelete, "/sessions/{handle}", Authorized, sessions.Handle},
		{http.MethodGet, "/admin/queues", Authorized, admin.Handle},
		{http.MethodGet, "/admin/queues/{queue}/dead", Authorized, admin.Handle},
		{http.MethodDelete, "/admin/queues/{queue}/dead", Authorized, admin.Handle},
		{http.MethodPost, "/admin/queues/{queue}/dead/redrive", Authorized, admin.Handle},
		{http.MethodGet, "/admin/jobs/{id}", Authorized, admin.Handle},
		{http.MethodGet, "/admin/subjects/{sub}/limits", Authorized, admin.Handle},
		{http.MethodGet, "/admin/redis", Authorized, admin.Handle},
		{http.MethodGet, "/console", NoAuth, console.Handle},
		{http.MethodGet, "/console/{asset+}", NoAuth, console.Handle},
	}, nil
}
