package leaderboard

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// MaxCursorLen bounds an encoded cursor in bytes.
const MaxCursorLen = 512

// prefixLen is the length of the tie-break prefix of a sorted-set member.
const prefixLen = 16

// cursorVersion starts every encoded cursor of a window whose members carry
// the tie-break prefix; cursorVersionNoTies those of a window without
// (ties=none, whose member is the player id).
const (
	cursorVersion       = "1"
	cursorVersionNoTies = "2"
)

// Cursor continues a walk over a board's window after its last entry. A
// walk pages by place, not by offset: the next page starts right after the
// last entry's (score, tie-break, player), wherever that player has moved
// since, so no entry is skipped or repeated because ranks shifted, and a
// player whose score went down after the walk began is left out of the rest
// of the walk (it may have been listed already). Clients treat the encoded
// form as opaque.
type Cursor struct {
	Board  string
	Window Window
	// Walk is where the walk began: the seq of the window's latest
	// lowering then (0 if none); players lowered after it are left out.
	Walk int64
	// Score and Member are the last entry's sorted-set score (the score,
	// negated on lowest-wins boards) and member (its tie-break prefix
	// followed by the player, or the player when NoTies).
	Score  int64
	Member string
	// NoTies: the window has no tie-break (ties=none).
	NoTies bool
}

// String encodes the cursor (unpadded base64url).
func (c Cursor) String() string {
	v := cursorVersion
	if c.NoTies {
		v = cursorVersionNoTies
	}
	raw := strings.Join([]string{
		v, c.Board, string(c.Window.Period), c.Window.ID,
		strconv.FormatInt(c.Walk, 10), strconv.FormatInt(c.Score, 10), c.Member,
	}, "\n")
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// ParseCursor decodes and validates a cursor made by Cursor.String.
func ParseCursor(s string) (Cursor, error) {
	bad := func(why string) (Cursor, error) {
		return Cursor{}, fmt.Errorf("leaderboard: cursor: %w: %s", ErrInvalid, why)
	}
	if s == "" || len(s) > MaxCursorLen {
		return bad(fmt.Sprintf("want 1 to %d bytes", MaxCursorLen))
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return bad("not a cursor this API made")
	}
	parts := strings.Split(string(raw), "\n")
	if len(parts) != 7 || (parts[0] != cursorVersion && parts[0] != cursorVersionNoTies) {
		return bad("not a cursor this API made")
	}
	c := Cursor{Board: parts[1], Member: parts[6], NoTies: parts[0] == cursorVersionNoTies}
	if ValidateBoard(c.Board) != nil {
		return bad("bad board")
	}
	p, err := ParsePeriod(parts[2])
	if err != nil {
		return bad("bad period")
	}
	if c.Window, err = ParseWindowID(p, parts[3]); err != nil {
		return bad("bad window")
	}
	if c.Walk, err = strconv.ParseInt(parts[4], 10, 64); err != nil || c.Walk < 0 || c.Walk > MaxScore || !digits(parts[4]) {
		return bad("bad walk")
	}
	if c.Score, err = strconv.ParseInt(parts[5], 10, 64); err != nil || ValidateScore(c.Score) != nil || strconv.FormatInt(c.Score, 10) != parts[5] {
		return bad("bad score")
	}
	if c.NoTies && ValidatePlayer(c.Member) != nil ||
		!c.NoTies && (len(c.Member) <= prefixLen || !digits(c.Member[:prefixLen]) || ValidatePlayer(c.Member[prefixLen:]) != nil) {
		return bad("bad member")
	}
	return c, nil
}

// Player is the player of the cursor's last entry.
func (c Cursor) Player() string {
	if c.NoTies {
		return c.Member
	}
	if len(c.Member) <= prefixLen {
		return ""
	}
	return c.Member[prefixLen:]
}
