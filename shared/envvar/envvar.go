package envvar

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Getenv looks a variable up; os.Getenv satisfies it.
type Getenv func(string) string

// Error is a variable with an invalid value.
type Error struct {
	Var, Value, Reason string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s=%q: %s", e.Var, e.Value, e.Reason)
}

// String returns the trimmed value of name, or def when unset.
func String(get Getenv, name, def string) string {
	if v := strings.TrimSpace(get(name)); v != "" {
		return v
	}
	return def
}

// Bool parses true/false/1/0 (any case); unset means def.
func Bool(get Getenv, name string, def bool) (bool, error) {
	v := strings.TrimSpace(get(name))
	if v == "" {
		return def, nil
	}
	switch strings.ToLower(v) {
	case "true", "1", "yes":
		return true, nil
	case "false", "0", "no":
		return false, nil
	}
	return false, &Error{name, v, "want true or false"}
}

// ParseDuration parses a Go duration (150ms, 24h) or whole days (14d).
func ParseDuration(v string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || n < 0 || n > 100*366 {
			return 0, fmt.Errorf("%q: days must be a whole number from 0 to %d", v, 100*366)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(v)
}

// Duration parses a duration (ParseDuration: 150ms, 24h, 14d) within
// [min, max]; unset means def.
func Duration(get Getenv, name string, def, min, max time.Duration) (time.Duration, error) {
	v := strings.TrimSpace(get(name))
	if v == "" {
		return def, nil
	}
	d, err := ParseDuration(v)
	if err != nil {
		return 0, &Error{name, v, "not a duration such as 150ms, 30s, 24h or 14d"}
	}
	if d < min || d > max {
		return 0, &Error{name, v, fmt.Sprintf("must be from %v to %v", min, max)}
	}
	return d, nil
}

// Int parses a whole number within [min, max]; unset means def.
func Int(get Getenv, name string, def, min, max int64) (int64, error) {
	v := strings.TrimSpace(get(name))
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, &Error{name, v, "not a whole number"}
	}
	if n < min || n > max {
		return 0, &Error{name, v, fmt.Sprintf("must be from %d to %d", min, max)}
	}
	return n, nil
}

// Wrap names the variable in err, for values parsed by other packages.
func Wrap(name, value string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{name, value, err.Error()}
}
