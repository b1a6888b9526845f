package envvar

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) Getenv { return func(k string) string { return m[k] } }

func TestParsers(t *testing.T) {
	get := env(map[string]string{"B": " TRUE ", "D": "150ms", "I": "42", "S": " x "})
	if b, err := Bool(get, "B", false); err != nil || !b {
		t.Fatal(b, err)
	}
	if b, err := Bool(get, "UNSET", true); err != nil || !b {
		t.Fatal(b, err)
	}
	if d, err := Duration(get, "D", time.Second, time.Millisecond, time.Minute); err != nil || d != 150*time.Millisecond {
		t.Fatal(d, err)
	}
	if n, err := Int(get, "I", 1, 0, 100); err != nil || n != 42 {
		t.Fatal(n, err)
	}
	if s := String(get, "S", "d"); s != "x" {
		t.Fatal(s)
	}
	if s := String(get, "UNSET", "d"); s != "d" {
		t.Fatal(s)
	}
}

func TestErrorsNameTheVariable(t *testing.T) {
	get := env(map[string]string{"B": "maybe", "D": "soon", "DR": "2h", "I": "x", "IR": "101"})
	for name, err := range map[string]error{
		"B":  second(Bool(get, "B", false)),
		"D":  second(Duration(get, "D", 0, 0, time.Hour)),
		"DR": second(Duration(get, "DR", 0, 0, time.Hour)),
		"I":  second(Int(get, "I", 0, 0, 100)),
		"IR": second(Int(get, "IR", 0, 0, 100)),
		"W":  Wrap("W", "v", errors.New("bad")),
	} {
		var e *Error
		if !errors.As(err, &e) || e.Var != name || !strings.HasPrefix(err.Error(), name+"=") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if Wrap("W", "v", nil) != nil {
		t.Error("Wrap(nil) is not nil")
	}
}

func second[T any](_ T, err error) error { return err }

func TestDurationDays(t *testing.T) {
	get := env(map[string]string{"D": "14d", "Z": "0d", "BAD": "1.5d", "NEG": "-1d"})
	if d, err := Duration(get, "D", 0, 0, 30*24*time.Hour); err != nil || d != 14*24*time.Hour {
		t.Fatal(d, err)
	}
	if d, err := Duration(get, "Z", time.Hour, 0, time.Hour); err != nil || d != 0 {
		t.Fatal(d, err)
	}
	for _, k := range []string{"BAD", "NEG"} {
		if _, err := Duration(get, k, 0, 0, time.Hour); err == nil {
			t.Errorf("%s accepted", k)
		}
	}
}
