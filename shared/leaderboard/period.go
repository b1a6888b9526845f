package leaderboard

import (
	"fmt"
	"strconv"
	"time"
)

// Period is a board's time window.
type Period string

// The periods. Day and week windows are UTC: a day runs from 00:00:00.000 to
// 23:59:59.999 UTC and a week is an ISO 8601 week (Monday to Sunday, UTC),
// so 2027-01-01, a Friday, is in week 2026-W53.
const (
	PeriodAll  Period = "all"
	PeriodDay  Period = "day"
	PeriodWeek Period = "week"
	// PeriodMonth is a calendar month, UTC.
	PeriodMonth Period = "month"
)

// Periods are the windows a board has by default (undeclared boards):
// all-time, day and week.
var Periods = []Period{PeriodAll, PeriodDay, PeriodWeek}

// AllPeriods are every period a board may declare, in the order the scripts
// take their windows.
var AllPeriods = []Period{PeriodAll, PeriodDay, PeriodWeek, PeriodMonth}

// ParsePeriod returns the Period named s.
func ParsePeriod(s string) (Period, error) {
	switch p := Period(s); p {
	case PeriodAll, PeriodDay, PeriodWeek, PeriodMonth:
		return p, nil
	}
	return "", fmt.Errorf("leaderboard: period %q: %w: want all, day, week or month", s, ErrInvalid)
}

// Window is one board's stretch of time: all time, one UTC day, one ISO
// week or one calendar month (UTC). Each window of a board is a sorted set of its own.
type Window struct {
	Period Period
	// ID names the window within its period: "all", a date such as
	// "2026-11-26", an ISO week such as "2026-W48", or a month such as
	// "2026-11".
	ID string
	// Start and End bound the period, [Start, End) in UTC; zero for the
	// all-time window.
	Start, End time.Time
}

// WindowAt returns the window of period p that t falls in (in UTC).
func WindowAt(p Period, t time.Time) Window {
	t = t.UTC()
	switch p {
	case PeriodDay:
		start := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		return Window{Period: p, ID: start.Format(time.DateOnly), Start: start, End: start.AddDate(0, 0, 1)}
	case PeriodWeek:
		y, w := t.ISOWeek()
		day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		start := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7)) // back to Monday
		return Window{Period: p, ID: fmt.Sprintf("%04d-W%02d", y, w), Start: start, End: start.AddDate(0, 0, 7)}
	case PeriodMonth:
		start := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		return Window{Period: p, ID: start.Format("2006-01"), Start: start, End: start.AddDate(0, 1, 0)}
	default:
		return Window{Period: PeriodAll, ID: string(PeriodAll)}
	}
}

// ParseWindowID returns the window of period p named id, as Window.ID
// spells it; it is the inverse of WindowAt(p, t).ID.
func ParseWindowID(p Period, id string) (Window, error) {
	bad := func(want string) error {
		return fmt.Errorf("leaderboard: %s window %q: %w: want %s", p, id, ErrInvalid, want)
	}
	switch p {
	case PeriodAll:
		if id != string(PeriodAll) {
			return Window{}, bad(`"all"`)
		}
		return WindowAt(p, time.Time{}), nil
	case PeriodDay:
		t, err := ParseDate(id)
		if err != nil {
			return Window{}, bad("a date such as 2026-11-26")
		}
		return WindowAt(p, t), nil
	case PeriodWeek:
		// YYYY-Www, weeks 01 to 52 or 53
		if len(id) != 8 || id[4:6] != "-W" {
			return Window{}, bad("an ISO week such as 2026-W48")
		}
		y, err1 := strconv.Atoi(id[:4])
		w, err2 := strconv.Atoi(id[6:])
		if err1 != nil || err2 != nil || !digits(id[:4]) || !digits(id[6:]) || w < 1 {
			return Window{}, bad("an ISO week such as 2026-W48")
		}
		// January 4th is always in week 1.
		b := WindowAt(p, time.Date(y, 1, 4, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 7*(w-1)))
		if b.ID != id {
			return Window{}, bad("an ISO week that exists")
		}
		return b, nil
	case PeriodMonth:
		t, err := time.Parse("2006-01", id)
		if err != nil || t.Format("2006-01") != id {
			return Window{}, bad("a month such as 2026-11")
		}
		return WindowAt(p, t), nil
	}
	return Window{}, fmt.Errorf("leaderboard: period %q: %w", p, ErrInvalid)
}

// ParseDate parses a calendar date, YYYY-MM-DD, as midnight UTC.
func ParseDate(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Format(time.DateOnly) != s {
		return time.Time{}, fmt.Errorf("leaderboard: date %q: %w: want YYYY-MM-DD", s, ErrInvalid)
	}
	return t, nil
}

// ExpireAt is when the window's keys expire: the end of the period plus
// retention. The all-time window never expires (zero time).
func (b Window) ExpireAt(retention time.Duration) time.Time {
	if b.Period == PeriodAll {
		return time.Time{}
	}
	return b.End.Add(retention)
}

// suffix is the window's part of its keys: all, d:<date> or w:<week>.
func (b Window) suffix() string {
	switch b.Period {
	case PeriodDay:
		return "d:" + b.ID
	case PeriodWeek:
		return "w:" + b.ID
	case PeriodMonth:
		return "m:" + b.ID
	}
	return "all"
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
