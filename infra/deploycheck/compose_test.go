package deploycheck

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const composeFile = "deploy/docker-compose.yml"

// composeService returns a service of the compose file.
func composeService(t *testing.T, v map[string]any, name string) map[string]any {
	t.Helper()
	s, ok := get(v, "services", name).(map[string]any)
	if !ok {
		t.Fatalf("%s: no service %q", composeFile, name)
	}
	return s
}

// strings of a YAML list.
func list(v any) []string {
	var out []string
	for _, x := range asSlice(v) {
		out = append(out, toString(x))
	}
	return out
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	default:
		b, _ := yaml.Marshal(x)
		return strings.TrimSpace(string(b))
	}
}

// flagValues returns the values following each --flag in a redis-server
// command line.
func flagValues(args []string) map[string][]string {
	out := map[string][]string{}
	for i := 0; i < len(args); i++ {
		if name, ok := strings.CutPrefix(args[i], "--"); ok {
			var vals []string
			for i+1 < len(args) && !strings.HasPrefix(args[i+1], "--") {
				i++
				vals = append(vals, args[i])
			}
			out[name] = append(out[name], strings.Join(vals, " "))
		}
	}
	return out
}

// The Redis service: Redis 7, AOF fsynced every second plus RDB snapshots,
// noeviction with the reason next to it, the password from the environment,
// data on a volume, and a health check.
func TestComposeRedis(t *testing.T) {
	doc, v := loadYAML(t, composeFile)
	redis := composeService(t, v, "redis")
	if img := str(redis, "image"); !regexp.MustCompile(`^redis:7(\.\d+)*(-\S+)?$`).MatchString(img) {
		t.Errorf("redis image %q, want redis:7.x", img)
	}
	cmd := list(redis["command"])
	if len(cmd) == 0 || cmd[0] != "redis-server" {
		t.Fatalf("redis command %v, want redis-server with flags", cmd)
	}
	flags := flagValues(cmd[1:])
	want := map[string]string{"appendonly": "yes", "appendfsync": "everysec", "maxmemory-policy": "noeviction"}
	for k, w := range want {
		if got := flags[k]; len(got) != 1 || got[0] != w {
			t.Errorf("--%s %v, want %s", k, got, w)
		}
	}
	if save := flags["save"]; len(save) != 1 || !regexp.MustCompile(`^\d+ \d+( \d+ \d+)*$`).MatchString(save[0]) {
		t.Errorf("--save %v, want RDB snapshot points (seconds changes ...)", save)
	}
	// The password: only from the environment, and required.
	pass := flags["requirepass"]
	if len(pass) != 1 || !regexp.MustCompile(`^\$\{REDIS_PASSWORD:\?[^}]*\}$`).MatchString(pass[0]) {
		t.Errorf("--requirepass %v, want ${REDIS_PASSWORD:?...} (required, from the environment)", pass)
	}
	if _, err := interpolate(pass[0], map[string]string{}); err == nil {
		t.Error("compose would start Redis without a password")
	}
	// The comment saying why noeviction.
	comment := commentBefore(t, doc, "services", "redis", "command", "--maxmemory")
	for _, w := range []string{"allkeys-lru", "queued jobs", "revocations", "locks"} {
		if !strings.Contains(strings.Join(strings.Fields(comment), " "), w) {
			t.Errorf("the comment before --maxmemory does not mention %q:\n%s", w, comment)
		}
	}
	// Health check, authenticated without putting the password on a command line.
	hc := list(get(redis, "healthcheck", "test"))
	if len(hc) < 2 || !strings.Contains(strings.Join(hc, " "), "redis-cli") || !strings.Contains(strings.Join(hc, " "), "ping") {
		t.Errorf("healthcheck test %v, want a redis-cli ping", hc)
	}
	if !strings.Contains(str(redis, "environment", "REDISCLI_AUTH"), "${REDIS_PASSWORD") {
		t.Errorf("REDISCLI_AUTH = %q, want the password from the environment", str(redis, "environment", "REDISCLI_AUTH"))
	}
	for _, k := range []string{"interval", "timeout", "retries"} {
		if get(redis, "healthcheck", k) == nil {
			t.Errorf("healthcheck has no %s", k)
		}
	}
	if vols := list(redis["volumes"]); !slices.ContainsFunc(vols, func(s string) bool { return strings.HasSuffix(s, ":/data") }) {
		t.Errorf("redis volumes %v, want /data on a volume (the AOF and RDB files)", vols)
	}
}

// commentBefore returns the comments above a list item (and the items before
// it, up to the previous comment-free item) in the node tree.
func commentBefore(t *testing.T, doc *yaml.Node, path ...string) string {
	t.Helper()
	n := doc.Content[0]
	for _, key := range path[:len(path)-1] {
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			t.Fatalf("%s: no %s", composeFile, strings.Join(path, "."))
		}
		n = next
	}
	item := path[len(path)-1]
	for _, c := range n.Content {
		if c.Value == item {
			return c.HeadComment
		}
	}
	t.Fatalf("%s: no item %q under %s", composeFile, item, strings.Join(path[:len(path)-1], "."))
	return ""
}

// RedisInsight, pointed at the redis service.
func TestComposeRedisInsight(t *testing.T) {
	_, v := loadYAML(t, composeFile)
	ri := composeService(t, v, "redisinsight")
	if img := str(ri, "image"); !strings.HasPrefix(img, "redis/redisinsight:") {
		t.Errorf("redisinsight image %q", img)
	}
	if str(ri, "environment", "RI_REDIS_HOST") != "redis" || !strings.HasPrefix(str(ri, "environment", "RI_REDIS_PASSWORD"), "${REDIS_PASSWORD") {
		t.Errorf("redisinsight environment %v, want the redis service with the password from the environment", get(ri, "environment"))
	}
	if str(ri, "depends_on", "redis", "condition") != "service_healthy" {
		t.Errorf("redisinsight depends_on %v, want redis healthy", get(ri, "depends_on"))
	}
}

// The local API: built from deploy/Dockerfile in this repository, pointed at
// the redis service with the password, started once Redis is healthy.
func TestComposeLambdisAPI(t *testing.T) {
	_, v := loadYAML(t, composeFile)
	api := composeService(t, v, "lambdis")
	ctx, dockerfile := str(api, "build", "context"), str(api, "build", "dockerfile")
	if ctx == "" || dockerfile == "" {
		t.Fatalf("lambdis build %v, want a context and a dockerfile", get(api, "build"))
	}
	context := filepath.Join(root(t), "deploy", ctx)
	if context != root(t) {
		t.Errorf("build context %s, want the repository root", context)
	}
	if _, err := os.Stat(filepath.Join(context, dockerfile)); err != nil {
		t.Errorf("dockerfile: %v", err)
	}
	env := get(api, "environment").(map[string]any)
	if env["REDIS_URL"] != "redis://redis:6379" {
		t.Errorf("REDIS_URL = %v, want redis://redis:6379", env["REDIS_URL"])
	}
	if p, _ := env["REDIS_PASSWORD"].(string); !strings.HasPrefix(p, "${REDIS_PASSWORD") {
		t.Errorf("REDIS_PASSWORD = %v, want ${REDIS_PASSWORD...}", env["REDIS_PASSWORD"])
	}
	if str(api, "depends_on", "redis", "condition") != "service_healthy" {
		t.Errorf("lambdis depends_on %v, want redis healthy", get(api, "depends_on"))
	}
	if ports := list(api["ports"]); len(ports) != 1 || !strings.HasSuffix(ports[0], ":3000") {
		t.Errorf("lambdis ports %v, want the API's port 3000", ports)
	}
}

// No secret is written in the file: every password-like value is an
// environment interpolation.
func TestComposeHasNoLiteralSecrets(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(root(t), composeFile))
	if err != nil {
		t.Fatal(err)
	}
	_, v := loadYAML(t, composeFile)
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				walk(path+"."+k, c)
			}
		case []any:
			for i, c := range x {
				walk(path+"["+string(rune('0'+i%10))+"]", c)
			}
		case string:
			if regexp.MustCompile(`(?i)(pass|secret|auth)`).MatchString(path) && x != "" && !strings.HasPrefix(x, "${") {
				t.Errorf("%s = %q: a secret in the file", path, x)
			}
		}
	}
	walk("", v)
	// --requirepass's value is the next list item.
	if regexp.MustCompile(`--requirepass\s*\n\s*- [^$]`).Match(raw) {
		t.Error("--requirepass followed by a literal password")
	}
}

func randomPassword(t *testing.T) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// The redis service's command runs on a real redis-server (the version the
// project tests against) and yields the settings it claims; the password is
// required and the health check passes with it.
func TestComposeRedisCommandOnRealServer(t *testing.T) {
	_, v := loadYAML(t, composeFile)
	redis := composeService(t, v, "redis")
	password := randomPassword(t)
	env := map[string]string{"REDIS_PASSWORD": password}
	var args []string
	for _, a := range list(redis["command"])[1:] {
		s, err := interpolate(a, env)
		if err != nil {
			t.Fatal(err)
		}
		args = append(args, s)
	}
	r := startRedis(t, args, password)
	for k, want := range map[string]string{"appendonly": "yes", "appendfsync": "everysec", "maxmemory-policy": "noeviction",
		"save": "3600 1 300 100 60 10000", "maxmemory": "268435456"} {
		if got := r.config(t, k); got != want {
			t.Errorf("CONFIG GET %s = %q, want %q", k, got, want)
		}
	}
	noauth := &redisServer{cli: r.cli, port: r.port}
	if out, _ := noauth.run("PING"); !strings.Contains(out, "NOAUTH") {
		t.Errorf("PING without the password answered %q, want NOAUTH", out)
	}
	// The health check, as compose runs it (redis-cli reads REDISCLI_AUTH).
	hc := list(get(redis, "healthcheck", "test"))
	if hc[0] != "CMD-SHELL" {
		t.Fatalf("healthcheck %v, want CMD-SHELL", hc)
	}
	script := strings.Replace(hc[1], "redis-cli", "redis-cli -p "+itoa(r.port), 1)
	if out, err := shell(script, "REDISCLI_AUTH="+password); err != nil {
		t.Errorf("health check %q failed: %v %s", script, err, out)
	}
	if _, err := shell(script, "REDISCLI_AUTH=wrong"); err == nil {
		t.Errorf("health check %q passed with a wrong password", script)
	}
}
