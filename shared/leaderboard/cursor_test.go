package leaderboard

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestCursorRoundTrip(t *testing.T) {
	for _, c := range []Cursor{
		{Board: "g", Window: WindowAt(PeriodAll, lastMilli), Walk: 0, Score: 0, Member: "7211522007590964p"},
		{Board: "game_1-x", Window: WindowAt(PeriodDay, lastMilli), Walk: 1795677247150872, Score: -MaxScore, Member: "0000000000000000auth0|abc@x.y+z~:.-_"},
		{Board: strings.Repeat("b", MaxBoardLen), Window: WindowAt(PeriodWeek, newYear), Walk: MaxScore, Score: MaxScore, Member: "9999999999999999" + strings.Repeat("p", MaxPlayerLen)},
		// ties=none: the member is the player, even one that starts with 16 digits
		{Board: "g", Window: WindowAt(PeriodMonth, newYear), Walk: 3, Score: -4, Member: "1234567890123456x", NoTies: true},
	} {
		s := c.String()
		if len(s) > MaxCursorLen {
			t.Errorf("cursor of %d bytes", len(s))
		}
		back, err := ParseCursor(s)
		if err != nil || back != c {
			t.Errorf("%+v: back %+v, %v", c, back, err)
		}
		if want := c.Member[prefixLen:]; c.NoTies && back.Player() != c.Member || !c.NoTies && back.Player() != want {
			t.Errorf("player %q", back.Player())
		}
	}
}

func TestParseCursorRejects(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	good := "1\ng\nday\n2099-12-31\n5\n-7\n0000000000000001p"
	if _, err := ParseCursor(enc(good)); err != nil {
		t.Fatalf("the good cursor: %v", err)
	}
	for _, s := range []string{
		"", "!!!!", enc(good) + "=", base64.StdEncoding.EncodeToString([]byte(good)), strings.Repeat("A", MaxCursorLen+1),
		enc(strings.Replace(good, "1\n", "3\n", 1)),                                                 // version
		enc(strings.Replace(strings.Replace(good, "1\n", "2\n", 1), "0000000000000001p", "p q", 1)), // a ties=none member that is no player id
		enc(strings.Replace(good, "\ng\n", "\ng{x}\n", 1)),                                          // board
		enc(strings.Replace(good, "day", "year", 1)),                                                // period
		enc(strings.Replace(good, "day", "month", 1)),                                               // the date is no month
		enc(strings.Replace(good, "2099-12-31", "2099-W53", 1)),                                     // window of another period
		enc(strings.Replace(good, "\n5\n", "\n-5\n", 1)),                                            // walk
		enc(strings.Replace(good, "\n5\n", "\n05x\n", 1)),
		enc(strings.Replace(good, "-7", "9007199254740992", 1)), // score beyond MaxScore
		enc(strings.Replace(good, "-7", "-07", 1)),
		enc(strings.Replace(good, "-7", "7.5", 1)),
		enc(strings.Replace(good, "0000000000000001p", "000000000000001p", 1)),    // short prefix
		enc(strings.Replace(good, "0000000000000001p", "000000000000000xp", 1)),   // prefix not digits
		enc(strings.Replace(good, "0000000000000001p", "0000000000000001", 1)),    // no player
		enc(strings.Replace(good, "0000000000000001p", "0000000000000001p q", 1)), // bad player
		enc(good + "\nextra"),
	} {
		if c, err := ParseCursor(s); err == nil {
			t.Errorf("%q parsed as %+v", s, c)
		}
	}
}

// FuzzParseCursor: no input panics, and whatever parses encodes back to a
// cursor that parses to the same value.
func FuzzParseCursor(f *testing.F) {
	for _, s := range []string{
		"", "MQpnCmFsbAphbGwKMTc5NTY3NzI0NzE1MDg3Mgo5MAo3MjExNTIyMDA3NTkwOTY0Yw",
		Cursor{Board: "g", Window: WindowAt(PeriodWeek, lastMilli), Walk: 3, Score: -3, Member: "1234567890123456x"}.String(),
		"AAAA", "____", "MQ", base64.RawURLEncoding.EncodeToString([]byte("1\n\n\n\n\n\n")),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCursor(s)
		if err != nil {
			return
		}
		back, err := ParseCursor(c.String())
		if err != nil || back != c {
			t.Fatalf("%q parsed as %+v, which encodes to a different cursor (%+v, %v)", s, c, back, err)
		}
		if ValidateBoard(c.Board) != nil || ValidatePlayer(c.Player()) != nil || ValidateScore(c.Score) != nil {
			t.Fatalf("%q parsed into an invalid cursor %+v", s, c)
		}
	})
}

func TestNames(t *testing.T) {
	for _, b := range []string{"g", "game_1-X", strings.Repeat("z", MaxBoardLen)} {
		if err := ValidateBoard(b); err != nil {
			t.Errorf("board %q: %v", b, err)
		}
	}
	for _, b := range []string{"", "a.b", "a:b", "a{b", "a b", "é", "a/b", strings.Repeat("z", MaxBoardLen+1)} {
		if ValidateBoard(b) == nil {
			t.Errorf("board %q accepted", b)
		}
	}
	for _, p := range []string{"p", "auth0|5f7c8e", "a.b@example.com", "x+y~z:1_2-3", "...", strings.Repeat("z", MaxPlayerLen)} {
		if err := ValidatePlayer(p); err != nil {
			t.Errorf("player %q: %v", p, err)
		}
	}
	for _, p := range []string{"", ".", "..", "a b", "a/b", "a#b", "a\nb", "é", "a{b}", "a%2F", strings.Repeat("z", MaxPlayerLen+1)} {
		if ValidatePlayer(p) == nil {
			t.Errorf("player %q accepted", p)
		}
	}
	for _, m := range []string{"", "BEST", "max", "incr"} {
		if _, err := ParseMode(m); err == nil {
			t.Errorf("mode %q accepted", m)
		}
	}
}

// TestModeNamesDoNotContainEachOther: submit.lua checks a board's modes
// with a plain string.find in the stored list, which is exact only while no
// mode's name is part of another's.
func TestModeNamesDoNotContainEachOther(t *testing.T) {
	modes := DefaultSettings().Modes
	for _, a := range modes {
		if _, err := ParseMode(string(a)); err != nil {
			t.Fatalf("mode %q: %v", a, err)
		}
		for _, b := range modes {
			if a != b && strings.Contains(string(b), string(a)) {
				t.Errorf("mode %q is part of %q: submit.lua's plain find would accept one for the other", a, b)
			}
		}
	}
}
