package leaderboard

import (
	"testing"
	"time"
)

func TestWindowAt(t *testing.T) {
	for _, c := range []struct {
		at       time.Time
		day, wk  string
		wkStart  string
		wkEndDay string
	}{
		{time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC), "2026-11-26", "2026-W48", "2026-11-23", "2026-11-30"},
		{time.Date(2026, 12, 31, 23, 59, 59, 999e6, time.UTC), "2026-12-31", "2026-W53", "2026-12-28", "2027-01-04"},
		{time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), "2027-01-01", "2026-W53", "2026-12-28", "2027-01-04"},
		{time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC), "2027-01-04", "2027-W01", "2027-01-04", "2027-01-11"},
		{time.Date(2024, 12, 30, 0, 0, 0, 0, time.UTC), "2024-12-30", "2025-W01", "2024-12-30", "2025-01-06"},
		{time.Date(2024, 12, 29, 23, 59, 59, 999e6, time.UTC), "2024-12-29", "2024-W52", "2024-12-23", "2024-12-30"},
		// A time in another zone counts by its UTC instant.
		{time.Date(2027, 1, 3, 20, 0, 0, 0, time.FixedZone("EST", -5*3600)), "2027-01-04", "2027-W01", "2027-01-04", "2027-01-11"},
	} {
		d, w := WindowAt(PeriodDay, c.at), WindowAt(PeriodWeek, c.at)
		if d.ID != c.day || !d.End.Equal(d.Start.Add(24*time.Hour)) || c.at.Before(d.Start) || !c.at.Before(d.End) {
			t.Errorf("%v: day %+v, want %s", c.at, d, c.day)
		}
		if w.ID != c.wk || w.Start.Format(time.DateOnly) != c.wkStart || w.End.Format(time.DateOnly) != c.wkEndDay || w.Start.Weekday() != time.Monday {
			t.Errorf("%v: week %+v, want %s from %s to %s", c.at, w, c.wk, c.wkStart, c.wkEndDay)
		}
	}
	for _, c := range []struct {
		at             time.Time
		id, start, end string
	}{
		{time.Date(2026, 11, 30, 23, 59, 59, 999e6, time.UTC), "2026-11", "2026-11-01", "2026-12-01"},
		{time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), "2026-12", "2026-12-01", "2027-01-01"},
		{time.Date(2028, 2, 29, 12, 0, 0, 0, time.UTC), "2028-02", "2028-02-01", "2028-03-01"},
		{time.Date(2027, 1, 1, 0, 30, 0, 0, time.FixedZone("CET", 3600)), "2026-12", "2026-12-01", "2027-01-01"},
	} {
		m := WindowAt(PeriodMonth, c.at)
		if m.ID != c.id || m.Start.Format(time.DateOnly) != c.start || m.End.Format(time.DateOnly) != c.end || m.suffix() != "m:"+c.id {
			t.Errorf("%v: month %+v, want %s from %s to %s", c.at, m, c.id, c.start, c.end)
		}
		if back, err := ParseWindowID(PeriodMonth, m.ID); err != nil || back != m {
			t.Errorf("month %s back as %+v, %v", m.ID, back, err)
		}
	}
	if a := WindowAt(PeriodAll, time.Now()); a.ID != "all" || !a.ExpireAt(time.Hour).IsZero() {
		t.Errorf("all-time window %+v", a)
	}
	d := WindowAt(PeriodDay, lastMilli)
	if got := d.ExpireAt(3 * time.Hour); !got.Equal(time.Date(2100, 1, 1, 3, 0, 0, 0, time.UTC)) {
		t.Errorf("day expires at %v", got)
	}
}

// Every day of two centuries: ParseWindowID inverts WindowAt for days and
// weeks, and consecutive windows tile time without gaps.
func TestWindowIDsRoundTrip(t *testing.T) {
	prevWeek := WindowAt(PeriodWeek, time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC))
	for at := time.Date(2000, 1, 1, 12, 0, 0, 0, time.UTC); at.Year() < 2200; at = at.AddDate(0, 0, 1) {
		for _, p := range Periods {
			w := WindowAt(p, at)
			back, err := ParseWindowID(p, w.ID)
			if err != nil || back != w {
				t.Fatalf("%s %s: %+v %v, want %+v", p, w.ID, back, err, w)
			}
		}
		if w := WindowAt(PeriodWeek, at); w != prevWeek {
			if !w.Start.Equal(prevWeek.End) {
				t.Fatalf("week %s does not start where %s ends", w.ID, prevWeek.ID)
			}
			prevWeek = w
		}
	}
}

func TestParseWindowIDRejects(t *testing.T) {
	for _, c := range []struct {
		p  Period
		id string
	}{
		{PeriodAll, ""}, {PeriodAll, "2026"}, {PeriodDay, "all"}, {PeriodDay, "2026-02-30"},
		{PeriodDay, "2026-1-05"}, {PeriodDay, "2026-01-05 "}, {PeriodDay, "+026-01-05"},
		{PeriodWeek, "2026-W00"}, {PeriodWeek, "2026-W54"}, {PeriodWeek, "2027-W53"}, {PeriodWeek, "2026-w48"},
		{PeriodWeek, "2026W48"}, {PeriodWeek, "2026-W+8"}, {PeriodWeek, "2026-11-26"}, {Period("year"), "2026"},
		{PeriodMonth, "2026-13"}, {PeriodMonth, "2026-1"}, {PeriodMonth, "2026-11-01"}, {PeriodMonth, "2026-W48"},
	} {
		if w, err := ParseWindowID(c.p, c.id); err == nil {
			t.Errorf("%s %q parsed as %+v", c.p, c.id, w)
		}
	}
	if _, err := ParseWindowID(PeriodWeek, "2026-W53"); err != nil {
		t.Errorf("2026-W53 exists: %v", err)
	}
	for _, s := range []string{"", "ALL", "days", "months", "year"} {
		if _, err := ParsePeriod(s); err == nil {
			t.Errorf("period %q accepted", s)
		}
	}
}
