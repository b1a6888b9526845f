package boards

import (
	"context"
	"errors"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/leaderboard"
)

// SettingsRequest is the body of PUT /leaderboards/{board}: the board's
// whole declaration. An omitted member takes its default (desc, ["all",
// "day", "week"], earliest, every mode).
type SettingsRequest struct {
	Order   *string  `json:"order"`
	Windows []string `json:"windows"`
	Ties    *string  `json:"ties"`
	Modes   []string `json:"modes"`
}

// SettingsResponse answers PUT /leaderboards/{board} and GET
// /leaderboards/{board}/settings.
type SettingsResponse struct {
	Board   string   `json:"board"`
	Order   string   `json:"order"`
	Windows []string `json:"windows"`
	Ties    string   `json:"ties"`
	Modes   []string `json:"modes"`
	// Declared is false for a board never declared (it has the defaults).
	Declared bool `json:"declared"`
}

// NewSettingsResponse is st as the API (and `lambdis board`) shows it.
func NewSettingsResponse(board string, st leaderboard.Settings) SettingsResponse {
	out := SettingsResponse{Board: board, Order: string(st.Order), Ties: string(st.Ties), Declared: st.Declared}
	for _, w := range st.Windows {
		out.Windows = append(out.Windows, string(w))
	}
	for _, m := range st.Modes {
		out.Modes = append(out.Modes, string(m))
	}
	return out
}

// parseSettings decodes and validates a declaration.
func parseSettings(req events.APIGatewayProxyRequest) (leaderboard.Settings, error) {
	var body SettingsRequest
	if err := apigw.DecodeJSON(req, MaxBody, &body); err != nil {
		return leaderboard.Settings{}, err
	}
	st := leaderboard.DefaultSettings()
	if body.Order != nil {
		o, err := leaderboard.ParseOrder(*body.Order)
		if err != nil {
			return leaderboard.Settings{}, bodyError("/order", `The field "order" must be "desc" (highest wins) or "asc" (lowest wins).`)
		}
		st.Order = o
	}
	if body.Ties != nil {
		t, err := leaderboard.ParseTies(*body.Ties)
		if err != nil {
			return leaderboard.Settings{}, bodyError("/ties", `The field "ties" must be "earliest" or "none".`)
		}
		st.Ties = t
	}
	if body.Windows != nil {
		st.Windows = nil
		for _, w := range body.Windows {
			st.Windows = append(st.Windows, leaderboard.Period(w))
		}
		if _, err := (leaderboard.Settings{Order: st.Order, Ties: st.Ties, Windows: st.Windows, Modes: st.Modes}).Normalize(); err != nil {
			return leaderboard.Settings{}, bodyError("/windows", `The field "windows" must list each of "all", "day", "week", "month" at most once, and at least one.`)
		}
	}
	if body.Modes != nil {
		st.Modes = nil
		for _, m := range body.Modes {
			st.Modes = append(st.Modes, leaderboard.Mode(m))
		}
		if _, err := st.Normalize(); err != nil {
			return leaderboard.Settings{}, bodyError("/modes", `The field "modes" must list each of "best", "increment", "set" at most once, and at least one.`)
		}
	}
	return st.Normalize()
}

// adminRequest checks an admin request that has no body and no query:
// the caller's admin scope (to do what), then the board and, with player,
// the player of the path. deny, when not nil, is the answer.
func (h *Handler) adminRequest(log *slog.Logger, req events.APIGatewayProxyRequest, what string, player bool) (caller apigw.Identity, board, p string, deny *events.APIGatewayProxyResponse) {
	caller, deny = h.admin(log, req, what)
	if deny != nil {
		return caller, "", "", deny
	}
	board, p, err := pathParams(req, player)
	if err == nil {
		err = noBody(req)
	}
	if err == nil {
		_, err = query(req)
	}
	if err != nil {
		r := clientError(err)
		return caller, "", "", &r
	}
	return caller, board, p, nil
}

// admin checks that the caller holds the admin scope.
func (h *Handler) admin(log *slog.Logger, req events.APIGatewayProxyRequest, what string) (apigw.Identity, *events.APIGatewayProxyResponse) {
	caller, err := apigw.Caller(req)
	if err != nil {
		log.Error("leaderboard: no caller identity", "error", err.Error())
		r := apigw.Internal()
		return caller, &r
	}
	if caller.Anonymous {
		r := apigw.Unauthorized("A bearer token is required to " + what + ".")
		return caller, &r
	}
	if !caller.HasScope(h.adminScope()) {
		r := apigw.MissingScope(h.adminScope())
		return caller, &r
	}
	return caller, nil
}

func (h *Handler) putSettings(ctx context.Context, log *slog.Logger, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	caller, deny := h.admin(log, req, "declare a board")
	if deny != nil {
		return *deny
	}
	board, _, err := pathParams(req, false)
	if err != nil {
		return clientError(err)
	}
	if _, err := query(req); err != nil {
		return clientError(err)
	}
	st, err := parseSettings(req)
	if err != nil {
		return clientError(err)
	}
	sctx, cancel := h.storeContext(ctx)
	defer cancel()
	got, err := h.Store.SetSettings(sctx, board, st, h.requestTime(req))
	switch {
	case errors.Is(err, leaderboard.ErrConflict):
		return apigw.Conflict("The board has players stored under its current order and tie rule, which therefore cannot change (windows and modes can); delete its players or use a new board. Nothing was written.")
	case err != nil:
		log.Error("leaderboard: settings failed", "error", err.Error(), "board", board)
		return apigw.ProblemResponse(apigw.TypeStoreUnavailable.New("The store did not confirm the settings; they may or may not have been applied."))
	}
	log.Info("board declared", "board", board, "order", string(got.Order), "ties", string(got.Ties), "by", caller.Subject)
	return apigw.JSON(200, NewSettingsResponse(board, got))
}

func (h *Handler) getSettings(ctx context.Context, log *slog.Logger, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	_, board, _, deny := h.adminRequest(log, req, "read a board's settings", false)
	if deny != nil {
		return *deny
	}
	sctx, cancel := h.storeContext(ctx)
	defer cancel()
	st, err := h.Store.Settings(sctx, board)
	if err != nil {
		log.Error("leaderboard: settings read failed", "error", err.Error(), "board", board)
		return apigw.StoreUnavailable()
	}
	return apigw.JSON(200, NewSettingsResponse(board, st))
}
