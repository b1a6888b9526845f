package deploycheck

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func itoa(n int) string { return strconv.Itoa(n) }

// shell runs a script with sh and extra environment.
func shell(script string, env ...string) (string, error) {
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// dockerfile is what the test reads from deploy/Dockerfile.
type dockerfile struct {
	stages     []string // FROM images
	runs       []string // RUN commands
	entrypoint []string
	cmd        []string
}

func readDockerfile(t *testing.T) dockerfile {
	t.Helper()
	f, err := os.Open(filepath.Join(root(t), "deploy", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var d dockerfile
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		instr, rest, _ := strings.Cut(line, " ")
		switch strings.ToUpper(instr) {
		case "FROM":
			d.stages = append(d.stages, strings.Fields(rest)[0])
		case "RUN":
			d.runs = append(d.runs, rest)
		case "ENTRYPOINT", "CMD":
			var args []string
			if err := json.Unmarshal([]byte(rest), &args); err != nil {
				t.Fatalf("deploy/Dockerfile: %s must be a JSON array (exec form): %v", instr, err)
			}
			if strings.ToUpper(instr) == "CMD" {
				d.cmd = args
			} else {
				d.entrypoint = args
			}
		}
	}
	return d
}

// The Dockerfile builds cmd/lambdis with Go 1.26 as a static binary and runs
// `lambdis serve` on all interfaces, port 3000, as an unprivileged user.
func TestDockerfile(t *testing.T) {
	d := readDockerfile(t)
	if len(d.stages) < 2 || !strings.HasPrefix(d.stages[0], "golang:1.26") {
		t.Errorf("stages %v, want a golang:1.26 build stage and a runtime stage", d.stages)
	}
	build := ""
	for _, r := range d.runs {
		if strings.Contains(r, "go build") {
			build = r
		}
	}
	if !strings.Contains(build, "CGO_ENABLED=0") || !strings.HasSuffix(build, "./cmd/lambdis") {
		t.Errorf("build command %q, want CGO_ENABLED=0 go build ... ./cmd/lambdis", build)
	}
	args := append(append([]string{}, d.entrypoint...), d.cmd...)
	if len(args) != 4 || filepath.Base(args[0]) != "lambdis" || args[1] != "serve" || args[2] != "--addr" || args[3] != "0.0.0.0:3000" {
		t.Errorf("ENTRYPOINT+CMD %v, want lambdis serve --addr 0.0.0.0:3000", args)
	}
	raw, _ := os.ReadFile(filepath.Join(root(t), "deploy", "Dockerfile"))
	if !strings.Contains(string(raw), "\nUSER ") {
		t.Error("the image runs as root (no USER)")
	}
}

// dockerContext copies the build context (the repository root) minus what
// deploy/Dockerfile.dockerignore excludes, as the Docker client sends it.
func dockerContext(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root(t), "deploy", "Dockerfile.dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, l := range strings.Split(string(raw), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if strings.HasPrefix(l, "!") || strings.Contains(l, "**") {
			t.Fatalf("Dockerfile.dockerignore pattern %q: this test supports plain patterns only", l)
		}
		patterns = append(patterns, strings.TrimPrefix(strings.TrimSuffix(l, "/"), "/"))
	}
	excluded := func(rel string) bool {
		for _, p := range patterns {
			for part := rel; part != "."; part = filepath.Dir(part) {
				if ok, _ := filepath.Match(p, part); ok {
					return true
				}
			}
		}
		return false
	}
	dst := t.TempDir()
	src := root(t)
	err = filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if rel == "." {
			return nil
		}
		if excluded(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// The compose stack without Docker: the API is built from the Docker build
// context with the Dockerfile's own command, Redis runs with the compose
// command, and the binary starts with the Dockerfile's arguments and the
// compose service's environment (the service name "redis" resolved to the
// local server). The health check answers, the authorizer answers 401
// without a token, and a token from `lambdis token` gets through.
func TestComposeStackWithoutDocker(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cmd/lambdis; skipped with -short")
	}
	_, v := loadYAML(t, composeFile)
	password := randomPassword(t)
	env := map[string]string{"REDIS_PASSWORD": password}
	var redisArgs []string
	for _, a := range list(composeService(t, v, "redis")["command"])[1:] {
		s, err := interpolate(a, env)
		if err != nil {
			t.Fatal(err)
		}
		redisArgs = append(redisArgs, s)
	}
	r := startRedis(t, redisArgs, password)

	// docker build: the Dockerfile's go build, in the context it would get.
	d := readDockerfile(t)
	build := ""
	for _, run := range d.runs {
		if strings.Contains(run, "go build") {
			build = run
		}
	}
	bin := filepath.Join(t.TempDir(), "lambdis")
	if !strings.Contains(build, "-o /out/lambdis") || !strings.HasSuffix(d.entrypoint[0], "lambdis") {
		t.Fatalf("build %q / entrypoint %v: this test expects -o /out/lambdis", build, d.entrypoint)
	}
	ctxDir := dockerContext(t)
	cmd := exec.Command("sh", "-c", strings.Replace(build, "-o /out/lambdis", "-o "+bin, 1))
	cmd.Dir = ctxDir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker build's %q in the build context: %v\n%s", build, err, out)
	}

	// docker run: the Dockerfile's arguments, compose's environment.
	port := freePort(t)
	args := append(append([]string{}, d.entrypoint[1:]...), d.cmd...)
	for i, a := range args {
		if a == "0.0.0.0:3000" {
			args[i] = fmt.Sprintf("127.0.0.1:%d", port)
		}
	}
	var runEnv []string
	for k, val := range composeService(t, v, "lambdis")["environment"].(map[string]any) {
		s, err := interpolate(toString(val), env)
		if err != nil {
			t.Fatal(err)
		}
		if k == "REDIS_URL" {
			s = strings.Replace(s, "//redis:6379", fmt.Sprintf("//127.0.0.1:%d", r.port), 1)
		}
		runEnv = append(runEnv, k+"="+s)
	}
	slices.Sort(runEnv)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := exec.CommandContext(ctx, bin, args...)
	srv.Env = append(runEnv, "PATH=/usr/bin:/bin")
	logs := &strings.Builder{}
	srv.Stdout, srv.Stderr = logs, logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		_ = srv.Wait()
		if t.Failed() {
			t.Logf("lambdis serve %v with %v:\n%s", args, runEnv, logs)
		}
	}()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(base + "/health")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"ok"`) {
				t.Fatalf("GET /health = %d %s, want 200 ok (Redis reachable with the password)", resp.StatusCode, body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the API did not start: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	resp, err := http.Get(base + "/tokens/self")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != "Bearer" {
		t.Errorf("GET /tokens/self without a token = %d (WWW-Authenticate %q), want 401 Bearer", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	tok := exec.Command(bin, "token", "--sub", "compose-test")
	tok.Env = srv.Env
	out, err := tok.Output()
	if err != nil {
		t.Fatalf("lambdis token: %v", err)
	}
	req, _ := http.NewRequest("GET", base+"/tokens/self", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(out)))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"compose-test"`) {
		t.Errorf("GET /tokens/self with a token = %d %s, want 200 for compose-test", resp.StatusCode, body)
	}
	// It went through the compose Redis: the limiter's key is there.
	if keys, _ := r.run("--scan", "--pattern", "lambdis:rl:{u:compose-test}*"); !strings.Contains(keys, "compose-test") {
		t.Errorf("no rate-limit key for compose-test in Redis (got %q)", keys)
	}
}
