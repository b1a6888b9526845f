package rietest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// RIEPackage is the emulator's main package, declared as a tool in go.mod
// (`go tool aws-lambda-rie`), so the module pins its version.
const RIEPackage = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"

// dirPattern names the directory of one test binary's builds in os.TempDir.
const dirPattern = "lambdis-rietest-*"

// staleAfter is the age after which a build directory left by a test binary
// that did not use Main is removed by the next one.
const staleAfter = 24 * time.Hour

// build is one `go build`, done at most once per test binary.
type build struct {
	n    int // numbers the builds, for unique output paths
	once sync.Once
	path string
	err  error
}

var (
	buildsMu sync.Mutex
	builds   = map[string]*build{}

	rootOnce sync.Once
	rootDir  string // the module root
	outDir   string // where the binaries go
	rootErr  error
)

// Build compiles a function for the host and returns the path of its
// bootstrap. fn is a function name ("ratelimit" builds ./functions/ratelimit)
// or a package path relative to the module root starting with "./" (e.g.
// "./shared/rietest/testdata/echo"). The build is the Makefile's, for the
// host instead of linux/arm64: CGO_ENABLED=0 go build -tags lambda.norpc.
// Each package is built once per test binary; every later call returns the
// same path. A failed build fails the test.
func Build(t testing.TB, fn string) string {
	t.Helper()
	var pkg string
	switch rest, isPath := strings.CutPrefix(fn, "./"); {
	case isPath && rest != "" && !strings.HasPrefix(path.Clean(rest), ".."):
		pkg = "./" + path.Clean(rest)
	case !isPath && fn != "" && !strings.ContainsAny(fn, `/\.`):
		pkg = "./functions/" + fn
	default:
		t.Fatalf("rietest: Build(%q): want a function name or a ./path inside the module", fn)
	}
	bin, err := cached(pkg, func(root, dir string, n int) (string, error) {
		// The bootstrap's directory is named after the function: Start
		// names the function (AWS_LAMBDA_FUNCTION_NAME) after it.
		out := filepath.Join(dir, strconv.Itoa(n), path.Base(pkg), "bootstrap")
		return out, goBuild(root, out, "-tags", "lambda.norpc", pkg)
	})
	if err != nil {
		t.Fatalf("rietest: build %s: %v", pkg, err)
	}
	return bin
}

// rieBinary returns the emulator, built once per test binary from the
// version go.mod pins.
func rieBinary(t testing.TB) string {
	t.Helper()
	bin, err := cached(RIEPackage, func(root, dir string, _ int) (string, error) {
		out := filepath.Join(dir, "aws-lambda-rie")
		return out, goBuild(root, out, RIEPackage)
	})
	if err != nil {
		t.Fatalf("rietest: build the emulator: %v", err)
	}
	return bin
}

// cached runs do once for key and returns its result every time.
func cached(key string, do func(root, dir string, n int) (string, error)) (string, error) {
	buildsMu.Lock()
	b, ok := builds[key]
	if !ok {
		b = &build{n: len(builds)}
		builds[key] = b
	}
	buildsMu.Unlock()
	b.once.Do(func() {
		root, dir, err := dirs()
		if err != nil {
			b.err = err
			return
		}
		b.path, b.err = do(root, dir, b.n)
	})
	return b.path, b.err
}

// dirs finds the module root and creates the output directory, once.
func dirs() (root, dir string, err error) {
	rootOnce.Do(func() {
		var out []byte
		out, rootErr = exec.Command("go", "env", "GOMOD").Output()
		if rootErr != nil {
			rootErr = fmt.Errorf("go env GOMOD: %w", rootErr)
			return
		}
		gomod := strings.TrimSpace(string(out))
		if gomod == "" || gomod == os.DevNull {
			rootErr = fmt.Errorf("not inside a Go module")
			return
		}
		rootDir = filepath.Dir(gomod)
		sweepStale()
		outDir, rootErr = os.MkdirTemp("", dirPattern)
	})
	return rootDir, outDir, rootErr
}

// goBuild runs go build -o out args... in the module root, for the host.
func goBuild(root, out string, args ...string) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	cmd := exec.Command("go", append([]string{"build", "-o", out}, args...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, output.String())
	}
	return nil
}

// Main runs the tests and then removes the binaries Build made; use it as
// the package's TestMain (it calls os.Exit).
func Main(m *testing.M) {
	code := m.Run()
	Cleanup()
	os.Exit(code)
}

// Cleanup removes the binaries built so far; Main calls it once the tests
// are over.
func Cleanup() {
	rootOnce.Do(func() {}) // if nothing was built, nothing will be
	if outDir != "" {
		_ = os.RemoveAll(outDir)
	}
}

// sweepStale removes build directories older than staleAfter that a test
// binary without Main (or one that was killed) left behind.
func sweepStale() {
	old, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPattern))
	for _, d := range old {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() && time.Since(fi.ModTime()) > staleAfter {
			_ = os.RemoveAll(d)
		}
	}
}
