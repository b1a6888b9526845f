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

// Duration parses a Go duration (e.g. 150ms, 24h) within [min, max]; unset means def.
func Duration(get Getenv, name string, def, min, max time.Duration) (time.Duration, error) {
	v := strings.TrimSpace(get(name))
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, &Error{name, v, "not a duration such as 150ms, 30s or 24h"}
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
