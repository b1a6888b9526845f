package boards

import (
	"context"
	"encoding/json"
	"log/slog"
	"sort"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/leaderboard"
)

// RanksRequest is the body of POST /leaderboards/{board}/ranks.
type RanksRequest struct {
	// Players are 1 to leaderboard.MaxRanks player ids (a repeated id is
	// answered once).
	Players []string `json:"players"`
}

// PlayerRank is one player's answer; Rank, Score and Percentile are null
// for a player not on the window.
type PlayerRank struct {
	Player     string          `json:"player"`
	Rank       *int64          `json:"rank"`
	Score      *int64          `json:"score"`
	Percentile *float64        `json:"percentile"`
	Data       json.RawMessage `json:"data,omitempty"`
}

// RanksResponse answers POST /leaderboards/{board}/ranks.
type RanksResponse struct {
	Board   string       `json:"board"`
	Period  string       `json:"period"`
	Window  string       `json:"window"`
	Total   int64        `json:"total"`
	Players []PlayerRank `json:"players"`
}

func (h *Handler) ranks(ctx context.Context, log *slog.Logger, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	board, _, err := pathParams(req, false)
	if err != nil {
		return clientError(err)
	}
	q, err := query(req, "period", "date", "sort", "with_data")
	if err != nil {
		return clientError(err)
	}
	byRank := false
	if v, ok := q["sort"]; ok {
		if v != "rank" && v != "asked" {
			return clientError(paramError(`The query parameter sort must be "rank" (best first, absent players last) or "asked" (the order of the request, the default).`))
		}
		byRank = v == "rank"
	}
	data, err := withData(q)
	if err != nil {
		return clientError(err)
	}
	w, err := window(q, h.requestTime(req), h.retention(), nil)
	if err != nil {
		return clientError(err)
	}
	var body RanksRequest
	if err := apigw.DecodeJSON(req, MaxBody, &body); err != nil {
		return clientError(err)
	}
	if len(body.Players) == 0 || len(body.Players) > leaderboard.MaxRanks {
		return clientError(bodyError("/players", `The field "players" must list 1 to %d player ids.`, leaderboard.MaxRanks))
	}
	for _, p := range body.Players {
		if leaderboard.ValidatePlayer(p) != nil {
			return clientError(bodyError("/players", `Every id in "players" must be %s.`, playerRule))
		}
	}
	var opts []leaderboard.ReadOption
	if data {
		opts = append(opts, leaderboard.WithData())
	}
	sctx, cancel := h.storeContext(ctx)
	defer cancel()
	rl, err := h.Store.Ranks(sctx, board, w, body.Players, opts...)
	if err != nil {
		log.Error("leaderboard: ranks failed", "error", err.Error(), "board", board)
		return apigw.StoreUnavailable()
	}
	out := RanksResponse{Board: board, Period: string(w.Period), Window: w.ID, Total: rl.Total, Players: make([]PlayerRank, len(rl.Players))}
	for i, p := range rl.Players {
		pr := PlayerRank{Player: p.Player, Data: p.Data}
		if p.Found {
			rank, score, pct := p.Rank, p.Score, p.Percentile
			pr.Rank, pr.Score, pr.Percentile = &rank, &score, &pct
		}
		out.Players[i] = pr
	}
	if byRank {
		sort.SliceStable(out.Players, func(i, j int) bool {
			a, b := out.Players[i].Rank, out.Players[j].Rank
			return a != nil && (b == nil || *a < *b)
		})
	}
	return apigw.JSON(200, out)
}
