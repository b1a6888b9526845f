package stack

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// The tests synthesize the real app (NewApp: the stack plus the cdk-nag
// checks) into a temporary cdk.out with placeholder bootstraps, so they need
// neither `make build` nor AWS credentials. A synthesized variant is cached
// per props, because every synthesis crosses into the jsii Node process.

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	for _, dir := range tempDirs {
		_ = os.RemoveAll(dir)
	}
	os.Exit(code)
}

// tempDirs are the placeholder dist/ and cdk.out directories of the cached
// syntheses; they outlive single tests and are removed by TestMain.
var tempDirs []string

// repoRoot is the repository root (infra/stack → ../..).
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root, err := FindRoot(filepath.Dir(file))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// writeDist writes dist/<fn>/bootstrap placeholders for every function.
func writeDist(t testing.TB, dir string) {
	t.Helper()
	for _, s := range Functions {
		if err := os.MkdirAll(filepath.Join(dir, s.Name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, s.Name, "bootstrap"), []byte("#!/bin/sh\n# placeholder for "+s.Name+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// synthesized is one synthesized app.
type synthesized struct {
	stack    *Stack
	props    Props
	template assertions.Template
	tmpl     map[string]any // the template as JSON
	outdir   string
}

var (
	synthMu    sync.Mutex
	synthCache = map[string]*synthesized{}
)

// synth synthesizes the app with DefaultProps changed by mutate; name keys
// the cache (variants with the same name share one synthesis).
func synth(t *testing.T, name string, mutate func(*Props)) *synthesized {
	t.Helper()
	synthMu.Lock()
	defer synthMu.Unlock()
	if s, ok := synthCache[name]; ok {
		return s
	}
	p := DefaultProps()
	p.RepoRoot = repoRoot(t)
	if mutate != nil {
		mutate(&p)
	}
	// The placeholders and cdk.out outlive this test: the cache is shared.
	dist, err := os.MkdirTemp("", "lambdis-dist-")
	if err != nil {
		t.Fatal(err)
	}
	tempDirs = append(tempDirs, dist)
	writeDist(t, dist)
	p.DistDir = dist
	outdir, err := os.MkdirTemp("", "lambdis-cdk.out-")
	if err != nil {
		t.Fatal(err)
	}
	tempDirs = append(tempDirs, outdir)
	app, st := newApp(outdir, p, true)
	app.Synth(nil)
	raw, err := os.ReadFile(filepath.Join(outdir, StackName+".template.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tmpl map[string]any
	if err := json.Unmarshal(raw, &tmpl); err != nil {
		t.Fatal(err)
	}
	s := &synthesized{stack: st, props: p, template: assertions.Template_FromJSON(&tmpl, nil), tmpl: tmpl, outdir: outdir}
	synthCache[name] = s
	return s
}

func defaults(t *testing.T) *synthesized { return synth(t, "default", nil) }

// check runs an assertions call, turning the jsii error it panics with into
// a test error (one failed assertion must not end the test binary).
func check(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	f()
}

// resources returns the template's resources of a type, by logical id.
func (s *synthesized) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range s.tmpl["Resources"].(map[string]any) {
		r := r.(map[string]any)
		if r["Type"] == typ {
			out[id] = r
		}
	}
	return out
}

// resource returns one resource by logical id.
func (s *synthesized) resource(t *testing.T, id string) map[string]any {
	t.Helper()
	r, ok := s.tmpl["Resources"].(map[string]any)[id].(map[string]any)
	if !ok {
		t.Fatalf("no resource %s in the template", id)
	}
	return r
}

// only returns the single resource of a type.
func (s *synthesized) only(t *testing.T, typ string) (string, map[string]any) {
	t.Helper()
	rs := s.resources(typ)
	if len(rs) != 1 {
		t.Fatalf("%d resources of type %s, want 1", len(rs), typ)
	}
	for id, r := range rs {
		return id, r
	}
	panic("unreachable")
}

// props returns a resource's Properties.
func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// ref returns the logical id a {"Ref": id} or {"Fn::GetAtt": [id, ...]}
// value points at ("" otherwise).
func ref(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	if id, ok := m["Ref"].(string); ok {
		return id
	}
	if ga, ok := m["Fn::GetAtt"].([]any); ok && len(ga) > 0 {
		id, _ := ga[0].(string)
		return id
	}
	return ""
}

// getAtt returns "id.Attr" for a {"Fn::GetAtt": [id, attr]} value.
func getAtt(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	ga, ok := m["Fn::GetAtt"].([]any)
	if !ok || len(ga) != 2 {
		return ""
	}
	return fmt.Sprintf("%v.%v", ga[0], ga[1])
}

// js renders a value as compact JSON, for messages and substring checks.
func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// idOf returns the logical id of the only resource of typ whose id starts
// with prefix (construct ids get a hash suffix).
func (s *synthesized) idOf(t *testing.T, typ, prefix string) string {
	t.Helper()
	var ids []string
	for id := range s.resources(typ) {
		if strings.HasPrefix(id, prefix) {
			ids = append(ids, id)
		}
	}
	if len(ids) != 1 {
		sort.Strings(ids)
		t.Fatalf("%s resources with id prefix %q: %v, want exactly one", typ, prefix, ids)
	}
	return ids[0]
}
