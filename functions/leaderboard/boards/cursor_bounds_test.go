package boards

import (
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/leaderboard"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

// Issue 12, item 8: a forged cursor is held to the bounds date= is held to
// (a window that has begun and has not expired), so it reaches nothing the
// query itself would be refused.
func TestForgedCursorsMeetTheQueryBounds(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFixture(t, rdb)
		now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
		forge := func(p leaderboard.Period, id string) string {
			w, err := leaderboard.ParseWindowID(p, id)
			if err != nil {
				t.Fatal(err)
			}
			return leaderboard.Cursor{Board: "semi", Window: w, Score: 1, Member: "0000000000000000alice"}.String()
		}
		for _, tc := range []struct {
			name, query string
			status      int
		}{
			{"forged future day", "period=day&cursor=" + forge(leaderboard.PeriodDay, "2099-12-31"), 400},
			{"forged year 1", "period=day&cursor=" + forge(leaderboard.PeriodDay, "0001-01-01"), 400},
			{"forged far week", "period=week&cursor=" + forge(leaderboard.PeriodWeek, "9999-W52"), 400},
			{"forged expired day", "period=day&cursor=" + forge(leaderboard.PeriodDay, "2026-11-01"), 400},
			{"date= future day", "period=day&date=2099-12-31", 400},
			{"date= year 1", "period=day&date=0001-01-01", 400},
			{"date= expired day", "period=day&date=2026-11-01", 400},
			// The same bounds let through what date= lets through.
			{"cursor of today", "period=day&cursor=" + forge(leaderboard.PeriodDay, "2026-12-04"), 200},
			{"cursor of a kept day", "period=day&cursor=" + forge(leaderboard.PeriodDay, "2026-11-25"), 200},
			{"date= kept day", "period=day&date=2026-11-25", 200},
			{"cursor of this week", "period=week&cursor=" + forge(leaderboard.PeriodWeek, "2026-W49"), 200},
		} {
			status, b := f.do(t, topReq("semi", tc.query, now))
			if status != tc.status {
				t.Errorf("%s: %d %v, want %d", tc.name, status, b, tc.status)
				continue
			}
			if status == 400 && b["type"] != apigw.TypeBadRequest.URI() {
				t.Errorf("%s: type %v", tc.name, b["type"])
			}
		}
	})
}
