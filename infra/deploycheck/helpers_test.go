package deploycheck

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// root is the repository root (infra/deploycheck → ../..).
func root(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// loadYAML parses a file of the repository into a node tree and a value.
func loadYAML(t *testing.T, rel string) (*yaml.Node, map[string]any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	var v map[string]any
	if err := yaml.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return &doc, v
}

// get walks a decoded YAML value along keys ("a", "b", ...).
func get(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// str is get as a string ("" when absent or not a string).
func str(v any, keys ...string) string {
	s, _ := get(v, keys...).(string)
	return s
}

// interpolation is compose's ${VAR}, ${VAR:-default}, ${VAR-default},
// ${VAR:?error}, ${VAR?error}; $$ is a literal $.
var interpolation = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// interpolate applies compose's variable substitution with env; a missing
// required variable is an error, as compose makes it.
func interpolate(s string, env map[string]string) (string, error) {
	var err error
	out := interpolation.ReplaceAllStringFunc(s, func(m string) string {
		if m == "$$" {
			return "$"
		}
		g := interpolation.FindStringSubmatch(m)
		name, op, arg := g[1], g[2], g[3]
		if name == "" {
			name = g[4]
		}
		val, set := env[name]
		switch op {
		case ":-":
			if val == "" {
				return arg
			}
		case "-":
			if !set {
				return arg
			}
		case ":?":
			if val == "" {
				err = fmt.Errorf("required variable %s is missing a value: %s", name, arg)
			}
		case "?":
			if !set {
				err = fmt.Errorf("required variable %s is missing: %s", name, arg)
			}
		}
		return val
	})
	return out, err
}

// requireIntegration follows the repository's rule (shared/redistest): a
// missing tool skips loudly, or fails under LAMBDIS_REQUIRE_INTEGRATION=1.
func skipOrFail(t *testing.T, reason string) {
	t.Helper()
	msg := "INTEGRATION TEST NOT RUN: " + reason
	if os.Getenv("LAMBDIS_REQUIRE_INTEGRATION") == "1" {
		t.Fatal(msg + " (LAMBDIS_REQUIRE_INTEGRATION=1)")
	}
	t.Skip(msg + " (set LAMBDIS_REQUIRE_INTEGRATION=1 to make this a failure)")
}

// redisBinaries returns redis-server and redis-cli, or skips.
func redisBinaries(t *testing.T) (server, cli string) {
	t.Helper()
	server = os.Getenv("REDIS_SERVER_BIN")
	if server == "" {
		server, _ = exec.LookPath("redis-server")
	}
	cli, _ = exec.LookPath("redis-cli")
	if server == "" || cli == "" {
		skipOrFail(t, "redis-server and redis-cli are needed (Debian: apt-get install redis-server)")
	}
	return server, cli
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// redisServer is a redis-server started for a test.
type redisServer struct {
	cli      string
	port     int
	password string
	log      *bytes.Buffer
}

// startRedis runs redis-server with args (a config file path may come
// first), on a free loopback port in a temporary directory, and waits until
// it answers. It is stopped when the test ends.
func startRedis(t *testing.T, args []string, password string) *redisServer {
	t.Helper()
	server, cli := redisBinaries(t)
	port := freePort(t)
	dir := t.TempDir()
	args = append(append([]string{}, args...),
		"--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--dir", dir)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, server, args...)
	log := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	r := &redisServer{cli: cli, port: port, password: password, log: log}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if out, err := r.run("PING"); err == nil && strings.TrimSpace(out) == "PONG" {
			return r
		}
		if time.Now().After(deadline) || cmd.ProcessState != nil {
			t.Fatalf("redis-server %s did not start:\n%s", strings.Join(args, " "), log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// run sends one command with redis-cli (authenticated through REDISCLI_AUTH,
// as the compose health check is).
func (r *redisServer) run(args ...string) (string, error) {
	cmd := exec.Command(r.cli, append([]string{"-h", "127.0.0.1", "-p", fmt.Sprint(r.port)}, args...)...)
	cmd.Env = os.Environ()
	if r.password != "" {
		cmd.Env = append(cmd.Env, "REDISCLI_AUTH="+r.password)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// config returns CONFIG GET name.
func (r *redisServer) config(t *testing.T, name string) string {
	t.Helper()
	out, err := r.run("CONFIG", "GET", name)
	if err != nil {
		t.Fatalf("CONFIG GET %s: %v %s", name, err, out)
	}
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) != 2 {
		t.Fatalf("CONFIG GET %s = %q", name, out)
	}
	return lines[1]
}
