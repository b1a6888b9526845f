package boards

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/leaderboard"
	"github.com/lambdis/lambdis/shared/telemetry"
)

// The routes of the function, as the API defines them.
const (
	RouteScores   = "/leaderboards/{board}/scores"
	RouteBoard    = "/leaderboards/{board}"
	RoutePlayer   = "/leaderboards/{board}/players/{player}"
	RouteSettings = "/leaderboards/{board}/settings"
	RouteRanks    = "/leaderboards/{board}/ranks"
)

// Default scopes.
const (
	// DefaultAdminScope may declare boards, read their settings, delete
	// players and submit for anyone.
	DefaultAdminScope = "admin"
	// DefaultSubmitScope may submit scores for any player (game servers).
	DefaultSubmitScope = "leaderboard:submit"
)

type store interface {
	Submit(ctx context.Context, sub leaderboard.Submission) (leaderboard.Result, error)
	Top(ctx context.Context, board string, w leaderboard.Window, limit int, after *leaderboard.Cursor, opts ...leaderboard.ReadOption) (leaderboard.Page, error)
	Around(ctx context.Context, board, player string, w leaderboard.Window, n int, opts ...leaderboard.ReadOption) (leaderboard.Standing, error)
	Ranks(ctx context.Context, board string, w leaderboard.Window, players []string, opts ...leaderboard.ReadOption) (leaderboard.RankList, error)
	Delete(ctx context.Context, board, player string, at time.Time) ([]leaderboard.Window, error)
	Settings(ctx context.Context, board string) (leaderboard.Settings, error)
	SetSettings(ctx context.Context, board string, st leaderboard.Settings, at time.Time) (leaderboard.Settings, error)
}

// Handler serves the leaderboard routes.
type Handler struct {
	Store        store
	AdminScope   string
	SubmitScope  string
	StoreTimeout time.Duration
	// Retention is the store's (leaderboard.Config.Retention; the default
	// when zero): how long after its end a window can be asked for.
	Retention time.Duration
	Log       *slog.Logger
	// Now is the clock for a request without requestTimeEpoch (time.Now).
	Now func() time.Time
}

func (h *Handler) retention() time.Duration {
	if h.Retention <= 0 {
		return leaderboard.DefaultRetention
	}
	return h.Retention
}

// SubmitResponse answers a submission: the player's standing on the
// board's first declared window (all-time by default).
type SubmitResponse struct {
	Player string `json:"player"`
	Score  int64  `json:"score"`
	Rank   int64  `json:"rank"`
	// Period and Window name the window of Score and Rank.
	Period string `json:"period"`
	Window string `json:"window"`
	// PreviousRank is null when the player was not on the board before.
	PreviousRank *int64 `json:"previous_rank"`
}

// Entry is one ranked player.
type Entry struct {
	Rank   int64  `json:"rank"`
	Player string `json:"player"`
	Score  int64  `json:"score"`
	// Data is the player's data (with_data=true, when it has some).
	Data json.RawMessage `json:"data,omitempty"`
}

// TopResponse answers GET /leaderboards/{board}.
type TopResponse struct {
	Board  string `json:"board"`
	Period string `json:"period"`
	// Window is "all", the date ("2026-11-26") or the ISO week ("2026-W48").
	Window  string  `json:"window"`
	Entries []Entry `json:"entries"`
	// Total is the number of players on the window.
	Total int64 `json:"total"`
	// NextCursor continues the walk; absent on the last page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// PlayerResponse answers GET /leaderboards/{board}/players/{player}.
type PlayerResponse struct {
	Board  string `json:"board"`
	Period string `json:"period"`
	Window string `json:"window"`
	Player string `json:"player"`
	Score  int64  `json:"score"`
	Rank   int64  `json:"rank"`
	// Total is the number of players on the window; Percentile the share
	// of them the player ranks at or above (leaderboard.Percentile).
	Total      int64           `json:"total"`
	Percentile float64         `json:"percentile"`
	Data       json.RawMessage `json:"data,omitempty"`
	// Above are the neighbours placed above, best first; Below those
	// placed below, nearest first.
	Above []Entry `json:"above"`
	Below []Entry `json:"below"`
}

// WindowRef names one window.
type WindowRef struct {
	Period string `json:"period"`
	Window string `json:"window"`
}

// DeleteResponse answers DELETE /leaderboards/{board}/players/{player}.
type DeleteResponse struct {
	Board  string `json:"board"`
	Player string `json:"player"`
	// Removed lists the windows the player was removed from.
	Removed []WindowRef `json:"removed"`
}

// Handle routes a proxy request.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	log := telemetry.WithRequest(ctx, h.Log)
	var allow string
	switch req.Resource {
	case RouteScores:
		allow = "POST"
	case RouteBoard:
		allow = "GET, PUT"
	case RoutePlayer:
		allow = "DELETE, GET"
	case RouteSettings:
		allow = "GET"
	case RouteRanks:
		allow = "POST"
	default:
		return apigw.WithRateLimitHeaders(req, apigw.ProblemResponse(apigw.TypeNotFound.New("No such route."))), nil
	}
	var resp events.APIGatewayProxyResponse
	switch {
	case req.Resource == RouteScores && req.HTTPMethod == "POST":
		resp = h.submit(ctx, log, req)
	case req.Resource == RouteBoard && req.HTTPMethod == "GET":
		resp = h.top(ctx, log, req)
	case req.Resource == RoutePlayer && req.HTTPMethod == "GET":
		resp = h.player(ctx, log, req)
	case req.Resource == RoutePlayer && req.HTTPMethod == "DELETE":
		resp = h.remove(ctx, log, req)
	case req.Resource == RouteBoard && req.HTTPMethod == "PUT":
		resp = h.putSettings(ctx, log, req)
	case req.Resource == RouteSettings && req.HTTPMethod == "GET":
		resp = h.getSettings(ctx, log, req)
	case req.Resource == RouteRanks && req.HTTPMethod == "POST":
		resp = h.ranks(ctx, log, req)
	default:
		resp = apigw.ProblemResponse(apigw.TypeMethodNotAllowed.New("Use " + strings.ReplaceAll(allow, ", ", " or ") + "."))
		resp.Headers["Allow"] = allow
	}
	return apigw.WithRateLimitHeaders(req, resp), nil
}

func (h *Handler) submit(ctx context.Context, log *slog.Logger, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	caller, err := apigw.Caller(req)
	if err != nil {
		log.Error("leaderboard: no caller identity", "error", err.Error())
		return apigw.Internal()
	}
	if caller.Anonymous {
		return apigw.Unauthorized("A bearer token is required to submit scores.")
	}
	board, _, err := pathParams(req, false)
	if err != nil {
		return clientError(err)
	}
	sub, err := parseSubmit(req, board)
	if err != nil {
		return clientError(err)
	}
	if sub.Player != caller.Subject && !caller.HasScope(h.submitScope()) && !caller.HasScope(h.adminScope()) {
		return apigw.MissingScope(h.submitScope())
	}
	sub.At = h.requestTime(req)
	sctx, cancel := h.storeContext(ctx)
	defer cancel()
	res, err := h.Store.Submit(sctx, sub)
	switch {
	case errors.Is(err, leaderboard.ErrScoreRange):
		return (&inputError{pointer: "/score", detail: fmt.Sprintf(`The field "score" would take the player's total beyond ±%d; nothing was written.`, leaderboard.MaxScore)}).response()
	case errors.Is(err, leaderboard.ErrModeNotAccepted):
		return (&inputError{pointer: "/mode", detail: `The board does not accept this "mode" (see GET /leaderboards/{board}/settings); nothing was written.`}).response()
	case err != nil:
		log.Error("leaderboard: submit failed", "error", err.Error(), "board", board, "player", sub.Player)
		return apigw.ProblemResponse(apigw.TypeStoreUnavailable.New("The store did not confirm the submission; it may or may not have been applied."))
	}
	log.Debug("score submitted", "board", board, "player", sub.Player, "mode", string(sub.Mode), "score", res.Score, "rank", res.Rank)
	out := SubmitResponse{Player: res.Player, Score: res.Score, Rank: res.Rank, Period: string(res.Window.Period), Window: res.Window.ID}
	if res.PreviousRank > 0 {
		out.PreviousRank = &res.PreviousRank
	}
	return apigw.JSON(200, out)
}

func (h *Handler) top(ctx context.Context, log *slog.Logger, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	board, _, err := pathParams(req, false)
	if err != nil {
		return clientError(err)
	}
	if err := noBody(req); err != nil {
		return clientError(err)
	}
	q, err := parseTopQuery(req, board, h.requestTime(req), h.retention())
	if err != nil {
		return clientError(err)
	}
	sctx, cancel := h.storeContext(ctx)
	defer cancel()
	page, err := h.Store.Top(sctx, board, q.window, q.limit, q.cursor, q.opts()...)
	if errors.Is(err, leaderboard.ErrInvalid) { // parseTopQuery checks the same; kept for safety
		return apigw.BadRequest("The query parameters do not name a page of this board.")
	}
	if err != nil {
		log.Error("leaderboard: top failed", "error", err.Error(), "board", board)
		return apigw.StoreUnavailable()
	}
	out := TopResponse{Board: board, Period: string(page.Window.Period), Window: page.Window.ID, Entries: entries(page.Entries), Total: page.Total}
	if page.Next != nil {
		out.NextCursor = page.Next.String()
	}
	return apigw.JSON(200, out)
}

func (h *Handler) player(ctx context.Context, log *slog.Logger, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	board, player, err := pathParams(req, true)
	if err != nil {
		return clientError(err)
	}
	if err := noBody(req); err != nil {
		return clientError(err)
	}
	w, around, withData, err := parsePlayerQuery(req, h.requestTime(req), h.retention())
	if err != nil {
		return clientError(err)
	}
	sctx, cancel := h.storeContext(ctx)
	defer cancel()
	var opts []leaderboard.ReadOption
	if withData {
		opts = append(opts, leaderboard.WithData())
	}
	st, err := h.Store.Around(sctx, board, player, w, around, opts...)
	switch {
	case errors.Is(err, leaderboard.ErrNotFound):
		if w.Period == leaderboard.PeriodAll {
			return apigw.NotFound("The player is not on this board.")
		}
		return apigw.NotFound("The player is not on this board's " + string(w.Period) + " window " + w.ID + ".")
	case err != nil:
		log.Error("leaderboard: around failed", "error", err.Error(), "board", board, "player", player)
		return apigw.StoreUnavailable()
	}
	return apigw.JSON(200, PlayerResponse{
		Board: board, Period: string(w.Period), Window: w.ID,
		Player: st.Player, Score: st.Score, Rank: st.Rank,
		Total: st.Total, Percentile: st.Percentile, Data: st.Data,
		Above: entries(st.Above), Below: entries(st.Below),
	})
}

func (h *Handler) remove(ctx context.Context, log *slog.Logger, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	caller, board, player, deny := h.adminRequest(log, req, "delete a player", true)
	if deny != nil {
		return *deny
	}
	sctx, cancel := h.storeContext(ctx)
	defer cancel()
	removed, err := h.Store.Delete(sctx, board, player, h.requestTime(req))
	switch {
	case errors.Is(err, leaderboard.ErrNotFound):
		return apigw.NotFound("The player is not on any window of this board.")
	case err != nil:
		log.Error("leaderboard: delete failed", "error", err.Error(), "board", board, "player", player)
		return apigw.ProblemResponse(apigw.TypeStoreUnavailable.New("The store did not confirm the deletion; try again."))
	}
	out := DeleteResponse{Board: board, Player: player, Removed: make([]WindowRef, len(removed))}
	for i, w := range removed {
		out.Removed[i] = WindowRef{Period: string(w.Period), Window: w.ID}
	}
	log.Info("deleted player", "board", board, "player", player, "windows", len(removed), "by", caller.Subject)
	return apigw.JSON(200, out)
}

// noBody rejects a body on a route that takes none ({} is accepted).
func noBody(req events.APIGatewayProxyRequest) error {
	if strings.TrimSpace(req.Body) == "" {
		return nil
	}
	var empty struct{}
	return apigw.DecodeJSON(req, MaxBody, &empty)
}

// clientError answers a parsing error: an *inputError or a body error.
func clientError(err error) events.APIGatewayProxyResponse {
	var ie *inputError
	if errors.As(err, &ie) {
		return ie.response()
	}
	return apigw.DecodeError(err)
}

func entries(es []leaderboard.Entry) []Entry {
	out := make([]Entry, len(es))
	for i, e := range es {
		out[i] = Entry{Rank: e.Rank, Player: e.Player, Score: e.Score, Data: e.Data}
	}
	return out
}

// requestTime is when API Gateway received the request (it picks the day
// and week windows), or the handler's clock when the event has no time.
func (h *Handler) requestTime(req events.APIGatewayProxyRequest) time.Time {
	if ms := req.RequestContext.RequestTimeEpoch; ms > 0 {
		return time.UnixMilli(ms).UTC()
	}
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}

func (h *Handler) adminScope() string {
	if h.AdminScope == "" {
		return DefaultAdminScope
	}
	return h.AdminScope
}

func (h *Handler) submitScope() string {
	if h.SubmitScope == "" {
		return DefaultSubmitScope
	}
	return h.SubmitScope
}

func (h *Handler) storeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if h.StoreTimeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, h.StoreTimeout)
}
