package boards

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/leaderboard"
)

// Query defaults.
const (
	DefaultLimit  = 10
	DefaultAround = 5
)

// MaxBody bounds a request body.
const MaxBody = 4 << 10

// inputError is a client mistake, answered 400 bad-request: a path or query
// parameter, or a body value (with the errors extension pointing at it, as
// docs/problems.md describes). Its detail is safe to show: it never echoes
// more than a bounded, quoted piece of the input.
type inputError struct {
	detail  string
	pointer string // JSON Pointer into the body; "" for a parameter
}

func (e *inputError) Error() string { return e.detail }

func (e *inputError) response() events.APIGatewayProxyResponse {
	p := apigw.TypeBadRequest.New(e.detail)
	if e.pointer != "" {
		p = p.With("errors", []apigw.FieldError{{Pointer: e.pointer, Detail: e.detail}})
	}
	return apigw.ProblemResponse(p)
}

func paramError(format string, args ...any) error {
	return &inputError{detail: fmt.Sprintf(format, args...)}
}

// bodyError is an invalid value of the body member at pointer.
func bodyError(pointer, format string, args ...any) error {
	return &inputError{detail: fmt.Sprintf(format, args...), pointer: pointer}
}

// The details of invalid names and numbers.
var (
	boardRule  = fmt.Sprintf("1 to %d bytes of A-Z, a-z, 0-9, '_' and '-'", leaderboard.MaxBoardLen)
	playerRule = fmt.Sprintf(`1 to %d bytes of A-Z, a-z, 0-9 and _ - . ~ : @ | + (not "." or "..")`, leaderboard.MaxPlayerLen)
	scoreRule  = fmt.Sprintf("an integer from %d to %d, without a fraction or exponent", -leaderboard.MaxScore, leaderboard.MaxScore)
)

// pathParams returns the board and, when withPlayer, the player.
func pathParams(req events.APIGatewayProxyRequest, withPlayer bool) (board, player string, err error) {
	board = req.PathParameters["board"]
	if leaderboard.ValidateBoard(board) != nil {
		return "", "", paramError("The board name must be %s.", boardRule)
	}
	if withPlayer {
		player = req.PathParameters["player"]
		if leaderboard.ValidatePlayer(player) != nil {
			return "", "", paramError("The player id must be %s.", playerRule)
		}
	}
	return board, player, nil
}

// SubmitRequest is the body of POST /leaderboards/{board}/scores.
type SubmitRequest struct {
	Player string `json:"player"`
	// Score is kept raw so that only a plain JSON integer is accepted: no
	// fraction (1.0), no exponent (1e3), no string ("1").
	Score json.RawMessage `json:"score"`
	Mode  string          `json:"mode"`
	// Data, optional, replaces the player's data on the board: a JSON
	// object of at most leaderboard.MaxDataLen bytes (compacted).
	Data json.RawMessage `json:"data"`
}

// parseSubmit decodes and validates a submission for board. A body that is
// not the JSON object it takes is an *apigw.BodyError (400 invalid-json, see
// apigw.DecodeError); an invalid value an *inputError (400 bad-request).
func parseSubmit(req events.APIGatewayProxyRequest, board string) (leaderboard.Submission, error) {
	var body SubmitRequest
	if err := apigw.DecodeJSON(req, MaxBody, &body); err != nil {
		return leaderboard.Submission{}, err
	}
	if leaderboard.ValidatePlayer(body.Player) != nil {
		return leaderboard.Submission{}, bodyError("/player", `The field "player" must be %s.`, playerRule)
	}
	score, err := parseScore(body.Score)
	if err != nil {
		return leaderboard.Submission{}, err
	}
	mode, err := leaderboard.ParseMode(body.Mode)
	if err != nil {
		return leaderboard.Submission{}, bodyError("/mode", `The field "mode" must be "best", "increment" or "set".`)
	}
	if strings.TrimSpace(string(body.Data)) == "null" {
		body.Data = nil
	}
	if _, err := leaderboard.CompactData(body.Data); err != nil {
		return leaderboard.Submission{}, bodyError("/data", `The field "data" must be a JSON object of at most %d bytes (without insignificant whitespace).`, leaderboard.MaxDataLen)
	}
	return leaderboard.Submission{Board: board, Player: body.Player, Score: score, Mode: mode, Data: body.Data}, nil
}

// parseScore accepts exactly a JSON integer, -?(0|[1-9][0-9]*), within
// ±leaderboard.MaxScore.
func parseScore(raw json.RawMessage) (int64, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return 0, bodyError("/score", `The field "score" is required: %s.`, scoreRule)
	}
	digitsPart := strings.TrimPrefix(s, "-")
	if digitsPart == "" || len(digitsPart) > 16 || !allDigits(digitsPart) || (len(digitsPart) > 1 && digitsPart[0] == '0') {
		return 0, bodyError("/score", `The field "score" must be %s.`, scoreRule)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || leaderboard.ValidateScore(n) != nil {
		return 0, bodyError("/score", `The field "score" must be %s.`, scoreRule)
	}
	return n, nil
}

// query returns the query parameters, rejecting any not in allowed and any
// given more than once.
func query(req events.APIGatewayProxyRequest, allowed ...string) (map[string]string, error) {
	for _, k := range slices.Sorted(maps.Keys(req.MultiValueQueryStringParameters)) {
		if len(req.MultiValueQueryStringParameters[k]) > 1 {
			return nil, paramError("The query parameter %s is given more than once.", quoted(k))
		}
	}
	names := slices.Sorted(maps.Keys(req.QueryStringParameters))
	names = append(names, slices.Sorted(maps.Keys(req.MultiValueQueryStringParameters))...)
	for _, k := range names {
		if !slices.Contains(allowed, k) {
			return nil, paramError("The query parameter %s is not accepted here; use %s.", quoted(k), strings.Join(allowed, ", "))
		}
	}
	return req.QueryStringParameters, nil
}

// topQuery is the parsed query of GET /leaderboards/{board}.
type topQuery struct {
	window   leaderboard.Window
	limit    int
	cursor   *leaderboard.Cursor
	fromRank int64
	withData bool
}

func (q topQuery) opts() []leaderboard.ReadOption {
	var o []leaderboard.ReadOption
	if q.fromRank > 0 {
		o = append(o, leaderboard.FromRank(q.fromRank))
	}
	if q.withData {
		o = append(o, leaderboard.WithData())
	}
	return o
}

// withData parses with_data: true or false.
func withData(q map[string]string) (bool, error) {
	v, ok := q["with_data"]
	switch {
	case !ok || v == "false":
		return false, nil
	case v == "true":
		return true, nil
	}
	return false, paramError("The query parameter with_data must be true or false.")
}

func parseTopQuery(req events.APIGatewayProxyRequest, board string, now time.Time, retention time.Duration) (topQuery, error) {
	q, err := query(req, "period", "date", "limit", "cursor", "from_rank", "with_data")
	if err != nil {
		return topQuery{}, err
	}
	out := topQuery{limit: DefaultLimit}
	if out.withData, err = withData(q); err != nil {
		return topQuery{}, err
	}
	if v, ok := q["from_rank"]; ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || !allDigits(v) || len(v) > 10 || v[0] == '0' || n < 1 || n > leaderboard.MaxFromRank {
			return topQuery{}, paramError("The query parameter from_rank must be a whole number from 1 to %d.", leaderboard.MaxFromRank)
		}
		if _, ok := q["cursor"]; ok {
			return topQuery{}, paramError("The query parameters from_rank and cursor do not go together: a cursor continues a walk, from_rank starts one.")
		}
		out.fromRank = n
	}
	if v, ok := q["limit"]; ok {
		if out.limit, err = boundedInt(v, 1, leaderboard.MaxLimit); err != nil {
			return topQuery{}, paramError("The query parameter limit must be a whole number from 1 to %d.", leaderboard.MaxLimit)
		}
	}
	if v, ok := q["cursor"]; ok {
		c, err := leaderboard.ParseCursor(v)
		if err != nil || c.Board != board {
			return topQuery{}, paramError("The query parameter cursor is not the next_cursor of a page of this board.")
		}
		out.cursor = &c
	}
	if out.window, err = window(q, now, retention, out.cursor); err != nil {
		return topQuery{}, err
	}
	return out, nil
}

// parsePlayerQuery parses the query of GET /leaderboards/{board}/players/{player}.
func parsePlayerQuery(req events.APIGatewayProxyRequest, now time.Time, retention time.Duration) (leaderboard.Window, int, bool, error) {
	q, err := query(req, "period", "date", "around", "with_data")
	if err != nil {
		return leaderboard.Window{}, 0, false, err
	}
	around := DefaultAround
	if v, ok := q["around"]; ok {
		if around, err = boundedInt(v, 0, leaderboard.MaxAround); err != nil {
			return leaderboard.Window{}, 0, false, paramError("The query parameter around must be a whole number from 0 to %d.", leaderboard.MaxAround)
		}
	}
	data, err := withData(q)
	if err != nil {
		return leaderboard.Window{}, 0, false, err
	}
	w, err := window(q, now, retention, nil)
	if err != nil {
		return leaderboard.Window{}, 0, false, err
	}
	return w, around, data, nil
}

// window picks the window of period and date (default: the period of now)
// or, for a walk that continues, the cursor's. A dated window and a cursor's
// window are held to the same bounds (readable): a cursor is checked like
// the query it came from, so a forged one reaches nothing date= refuses.
// (Cursors are not signed: everything in one is also something a client may
// ask for in the query; see docs/leaderboards.md.)
func window(q map[string]string, now time.Time, retention time.Duration, cursor *leaderboard.Cursor) (leaderboard.Window, error) {
	period := leaderboard.PeriodAll
	if v, ok := q["period"]; ok {
		p, err := leaderboard.ParsePeriod(v)
		if err != nil {
			return leaderboard.Window{}, paramError("The query parameter period must be all, day, week or month.")
		}
		period = p
	}
	at := now
	date, dated := q["date"]
	if dated {
		if period == leaderboard.PeriodAll {
			return leaderboard.Window{}, paramError("The query parameter date applies only to period=day, week or month.")
		}
		d, err := leaderboard.ParseDate(date)
		if err != nil || !readable(leaderboard.WindowAt(period, d), now, retention) {
			first, today := oldestReadable(now, retention), leaderboard.WindowAt(leaderboard.PeriodDay, now).Start
			return leaderboard.Window{}, paramError("The query parameter date must be a date, YYYY-MM-DD, from %s to today (%s, UTC): windows are kept %s after they end.",
				first.Format(time.DateOnly), today.Format(time.DateOnly), retentionText(retention))
		}
		at = d
	}
	w := leaderboard.WindowAt(period, at)
	if cursor == nil {
		return w, nil
	}
	if !readable(cursor.Window, now, retention) {
		return leaderboard.Window{}, paramError("The query parameter cursor is not the next_cursor of a page of this board.")
	}
	if cursor.Window.Period != period || (dated && cursor.Window.ID != w.ID) {
		return leaderboard.Window{}, paramError("The query parameter cursor continues a walk of the %s window %s; ask for that window or drop the cursor.", cursor.Window.Period, cursor.Window.ID)
	}
	// Without a date, a walk stays on the window it began on, even when
	// the day or week has turned since.
	return cursor.Window, nil
}

// readable is the one bound on the windows a query or a cursor may name: the
// all-time window, or a day or week window that has begun (not in the
// future) and whose keys have not expired (it ended less than retention ago).
func readable(w leaderboard.Window, now time.Time, retention time.Duration) bool {
	if w.Period == leaderboard.PeriodAll {
		return true
	}
	return !w.Start.After(now) && now.Before(w.ExpireAt(retention))
}

// oldestReadable is the first day whose day window is still readable.
func oldestReadable(now time.Time, retention time.Duration) time.Time {
	d := leaderboard.WindowAt(leaderboard.PeriodDay, now).Start
	for readable(leaderboard.WindowAt(leaderboard.PeriodDay, d.AddDate(0, 0, -1)), now, retention) {
		d = d.AddDate(0, 0, -1)
	}
	return d
}

func retentionText(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + " days"
	}
	return d.String()
}

// boundedInt parses 1 to 3 decimal digits as a number within [lo, hi].
func boundedInt(s string, lo, hi int) (int, error) {
	if len(s) == 0 || len(s) > 3 || !allDigits(s) {
		return 0, fmt.Errorf("not a small whole number")
	}
	n, _ := strconv.Atoi(s)
	if n < lo || n > hi {
		return 0, fmt.Errorf("out of range")
	}
	return n, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// quoted is s quoted for a detail, cut to 64 bytes.
func quoted(s string) string {
	if len(s) > 64 {
		return strconv.Quote(strings.ToValidUTF8(s[:64], "")) + "…"
	}
	return strconv.Quote(s)
}
