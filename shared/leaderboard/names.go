package leaderboard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Bounds of the values a client chooses.
const (
	// MaxBoardLen bounds a board name in bytes.
	MaxBoardLen = 64
	// MaxPlayerLen bounds a player id in bytes.
	MaxPlayerLen = 128
	// MaxScore is the largest score magnitude: 2^53 - 1, the largest
	// integer below which every integer is exact in a double (a sorted-set
	// score). Scores, and the totals increments reach, are kept within
	// [-MaxScore, MaxScore]; anything beyond is rejected, never rounded.
	MaxScore int64 = 1<<53 - 1
	// MaxLimit bounds a page of Top.
	MaxLimit = 100
	// MaxAround bounds the neighbours Around lists on each side.
	MaxAround = 50
	// MaxRanks bounds the players of one Ranks call.
	MaxRanks = 100
	// MaxFromRank bounds FromRank.
	MaxFromRank = 1_000_000_000
	// MaxDataLen bounds a player's data, a JSON object, in bytes (as
	// stored: without insignificant whitespace).
	MaxDataLen = 1024
)

// Errors of the store; every error wraps one of them or is a Redis error.
var (
	// ErrInvalid: an argument is malformed (a name outside its alphabet, a
	// score or limit out of range, a cursor that does not parse or belongs
	// elsewhere). Nothing was written.
	ErrInvalid = errors.New("invalid argument")
	// ErrNotFound: the player is not on the board (in that window).
	ErrNotFound = errors.New("player not on the board")
	// ErrScoreRange: the submission would take a score beyond MaxScore (an
	// increment); nothing was written to any window.
	ErrScoreRange = errors.New("score out of range")
	// ErrModeNotAccepted: the board's settings do not accept the
	// submission's mode; nothing was written.
	ErrModeNotAccepted = errors.New("mode not accepted by the board")
)

// CompactData validates a player's data and returns it as stored: a JSON
// object with insignificant whitespace removed, at most MaxDataLen bytes.
// Empty data is "" (nothing to store).
func CompactData(data json.RawMessage) (string, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return "", nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, data); err != nil {
		return "", fmt.Errorf("leaderboard: data: %w: not JSON", ErrInvalid)
	}
	if buf.Len() == 0 || buf.Bytes()[0] != '{' {
		return "", fmt.Errorf("leaderboard: data: %w: want a JSON object", ErrInvalid)
	}
	if buf.Len() > MaxDataLen {
		return "", fmt.Errorf("leaderboard: data: %w: %d bytes, the limit is %d", ErrInvalid, buf.Len(), MaxDataLen)
	}
	return buf.String(), nil
}

// ValidateBoard checks a board name: 1 to MaxBoardLen bytes of A-Z, a-z,
// 0-9, '_' and '-'. The name is the hash tag of the board's keys.
func ValidateBoard(board string) error {
	if err := checkName(board, MaxBoardLen, func(c byte) bool { return c == '_' || c == '-' }); err != nil {
		return fmt.Errorf("leaderboard: board: %w", err)
	}
	return nil
}

// ValidatePlayer checks a player id: 1 to MaxPlayerLen bytes of A-Z, a-z,
// 0-9 and the punctuation _ - . ~ : @ | + (enough for UUIDs, e-mail
// addresses and identity-provider subjects such as "auth0|5f7c8e"), and not
// "." or ".." (which paths would resolve away).
func ValidatePlayer(player string) error {
	if player == "." || player == ".." {
		return fmt.Errorf("leaderboard: player: %w: %q is not allowed", ErrInvalid, player)
	}
	if err := checkName(player, MaxPlayerLen, func(c byte) bool {
		switch c {
		case '_', '-', '.', '~', ':', '@', '|', '+':
			return true
		}
		return false
	}); err != nil {
		return fmt.Errorf("leaderboard: player: %w", err)
	}
	return nil
}

// ValidateScore checks that a score is within [-MaxScore, MaxScore].
func ValidateScore(score int64) error {
	if score > MaxScore || score < -MaxScore {
		return fmt.Errorf("leaderboard: score %d: %w: must be from %d to %d", score, ErrInvalid, -MaxScore, MaxScore)
	}
	return nil
}

func checkName(s string, max int, punct func(byte) bool) error {
	switch {
	case s == "":
		return fmt.Errorf("%w: empty", ErrInvalid)
	case len(s) > max:
		return fmt.Errorf("%w: %d bytes, the limit is %d", ErrInvalid, len(s), max)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || punct(c)) {
			return fmt.Errorf("%w: byte %d (%q) is outside the allowed characters", ErrInvalid, i, c)
		}
	}
	return nil
}

// Mode says how a submitted score combines with the player's current one.
type Mode string

// The modes; each window applies the mode on its own.
const (
	// ModeBest keeps the higher of the current and the submitted score.
	ModeBest Mode = "best"
	// ModeIncrement adds the submitted score (which may be negative).
	ModeIncrement Mode = "increment"
	// ModeSet replaces the score.
	ModeSet Mode = "set"
)

// ParseMode returns the Mode named s.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ModeBest, ModeIncrement, ModeSet:
		return m, nil
	}
	return "", fmt.Errorf("leaderboard: mode %q: %w: want best, increment or set", s, ErrInvalid)
}
