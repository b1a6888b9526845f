package synthcheck

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func root(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

func skipOrFail(t *testing.T, reason string) {
	t.Helper()
	msg := "INTEGRATION TEST NOT RUN: " + reason
	if os.Getenv("LAMBDIS_REQUIRE_INTEGRATION") == "1" {
		t.Fatal(msg + " (LAMBDIS_REQUIRE_INTEGRATION=1)")
	}
	t.Skip(msg + " (set LAMBDIS_REQUIRE_INTEGRATION=1 to make this a failure)")
}

// cleanClone copies what `git clone` of the working tree would hold: the
// tracked files and the untracked ones .gitignore does not exclude.
func cleanClone(t *testing.T, src string) string {
	t.Helper()
	out, err := exec.Command("git", "-C", src, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	dst := t.TempDir()
	n := 0
	for _, rel := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		from := filepath.Join(src, rel)
		st, err := os.Lstat(from)
		if err != nil || !st.Mode().IsRegular() { // deleted in the working tree, or a link
			continue
		}
		to := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			t.Fatal(err)
		}
		in, err := os.Open(from)
		if err != nil {
			t.Fatal(err)
		}
		w, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, st.Mode().Perm())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, in); err != nil {
			t.Fatal(err)
		}
		in.Close()
		w.Close()
		n++
	}
	for _, build := range []string{"dist", "cdk.out", "infra/node_modules"} {
		if _, err := os.Stat(filepath.Join(dst, build)); err == nil {
			t.Fatalf("the clone has %s: .gitignore must exclude build output", build)
		}
	}
	t.Logf("clean clone: %d files", n)
	return dst
}

// `make synth` in a clean clone, with no AWS credentials or configuration of
// any kind (HOME is empty, no AWS_* variable), writes the template, with
// asset metadata pointing at each function's bootstrap, for SAM; with each
// LAMBDA_ARCH, the template and the bootstraps agree, and a mismatch fails.
func TestMakeSynthFromCleanCloneWithoutAWSCredentials(t *testing.T) {
	if testing.Short() {
		t.Skip("runs make synth (build, npm ci, CDK synth); skipped with -short")
	}
	for _, tool := range []string{"git", "make", "go", "npm", "node"} {
		if _, err := exec.LookPath(tool); err != nil {
			skipOrFail(t, tool+" is not on PATH")
		}
	}
	clone := cleanClone(t, root(t))

	// The Go and npm caches are reused (nothing global is cleared, nothing
	// is downloaded twice); everything else is a bare environment.
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "LANG=C.UTF-8"}
	for _, k := range []string{"GOMODCACHE", "GOCACHE", "GOPROXY", "GOFLAGS", "GOTOOLCHAIN"} {
		v, err := exec.Command("go", "env", k).Output()
		if err != nil {
			t.Fatal(err)
		}
		env = append(env, k+"="+strings.TrimSpace(string(v)))
	}
	if c, err := exec.Command("npm", "config", "get", "cache").Output(); err == nil {
		env = append(env, "npm_config_cache="+strings.TrimSpace(string(c)), "npm_config_prefer_offline=true")
	}
	for _, e := range env {
		if strings.HasPrefix(e, "AWS_") {
			t.Fatalf("AWS variable in the environment: %s", e)
		}
	}
	// The default architecture, then the other one: the template's
	// Architectures and every bootstrap's ELF machine agree each time.
	for _, arch := range []string{"", "x86_64"} {
		args := []string{"synth"}
		if arch != "" {
			args = append(args, "LAMBDA_ARCH="+arch)
		}
		start := time.Now()
		log, err := run(clone, env, "make", args...)
		if err != nil {
			t.Fatalf("make %s in a clean clone: %v\n%s", strings.Join(args, " "), err, log)
		}
		t.Logf("make %s in a clean clone took %v", strings.Join(args, " "), time.Since(start).Round(time.Second))
		want := arch
		if want == "" {
			want = "arm64"
		}
		checkTemplate(t, clone, want, log)
	}

	// A mismatch is refused: GOARCH_LAMBDA (the old knob) stops make before
	// it builds anything, and the CDK app refuses x86_64 bootstraps (the
	// last build) in an arm64 template.
	if log, err := run(clone, env, "make", "synth", "GOARCH_LAMBDA=amd64"); err == nil || !strings.Contains(log, "LAMBDA_ARCH") {
		t.Errorf("make synth GOARCH_LAMBDA=amd64: %v, want a failure naming LAMBDA_ARCH\n%s", err, log)
	}
	cdk := []string{"CDK_DISABLE_VERSION_CHECK=1", "CDK_DISABLE_CLI_TELEMETRY=1", "LAMBDA_ARCH=arm64"}
	if log, err := run(filepath.Join(clone, "infra"), append(env, cdk...), "node_modules/.bin/cdk", "synth", "--quiet"); err == nil || !strings.Contains(log, "built for EM_X86_64") {
		t.Errorf("cdk synth of an arm64 template over x86_64 bootstraps: %v, want a refusal naming the ELF machine\n%s", err, log)
	}
}

func run(dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = env
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	err := cmd.Run()
	return log.String(), err
}

// checkTemplate checks cdk.out/Lambdis.template.json in the clone: one
// function per directory under functions/, each declaring Architectures
// [arch], with asset metadata pointing at a bootstrap built for arch.
func checkTemplate(t *testing.T, clone, arch, log string) {
	t.Helper()
	machine := map[string]elf.Machine{"arm64": elf.EM_AARCH64, "x86_64": elf.EM_X86_64}[arch]
	raw, err := os.ReadFile(filepath.Join(clone, "cdk.out", "Lambdis.template.json"))
	if err != nil {
		t.Fatalf("no template: %v\n%s", err, log)
	}
	var tmpl struct {
		Resources map[string]struct {
			Type       string
			Metadata   map[string]any
			Properties struct{ Architectures []string }
		}
	}
	if err := json.Unmarshal(raw, &tmpl); err != nil {
		t.Fatal(err)
	}
	fns := 0
	for id, r := range tmpl.Resources {
		if r.Type != "AWS::Lambda::Function" {
			continue
		}
		fns++
		if len(r.Properties.Architectures) != 1 || r.Properties.Architectures[0] != arch {
			t.Errorf("%s: Architectures %v, want [%s]", id, r.Properties.Architectures, arch)
		}
		asset, _ := r.Metadata["aws:asset:path"].(string)
		bootstrap := filepath.Join(clone, "cdk.out", asset, "bootstrap")
		f, err := elf.Open(bootstrap)
		if asset == "" || err != nil {
			t.Errorf("%s: asset %q has no ELF bootstrap (%v)", id, asset, err)
			continue
		}
		if f.Machine != machine {
			t.Errorf("%s: bootstrap built for %v, the template declares %s", id, f.Machine, arch)
		}
		f.Close()
	}
	dirs, _ := os.ReadDir(filepath.Join(clone, "functions"))
	want := 0
	for _, d := range dirs {
		if d.IsDir() {
			want++
		}
	}
	if fns != want {
		t.Errorf("%d functions in the template, %d under functions/", fns, want)
	}
}
