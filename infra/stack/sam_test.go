package stack

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// cdkOutDir is where `make synth` writes the cloud assembly, relative to the
// repository root: infra/cdk.json's "output", seen from the root.
func cdkOutDir(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "infra", "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		App    string `json:"app"`
		Output string `json:"output"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatalf("infra/cdk.json: %v", err)
	}
	if cfg.App == "" || cfg.Output == "" {
		t.Fatalf("infra/cdk.json: app %q, output %q; want both", cfg.App, cfg.Output)
	}
	rel, err := filepath.Rel(repoRoot(t), filepath.Join(repoRoot(t), "infra", cfg.Output))
	if err != nil {
		t.Fatal(err)
	}
	return rel
}

// samconfig.toml: version 0.1; local invoke, local start-api and deploy read
// the synthesized template; every template, env-vars file and event it names
// exists after a synth; the env-vars file names only deployed functions.
func TestSamconfig(t *testing.T) {
	root := repoRoot(t)
	var cfg map[string]any
	_, err := toml.DecodeFile(filepath.Join(root, "samconfig.toml"), &cfg)
	if err != nil {
		t.Fatalf("samconfig.toml: %v", err)
	}
	if v, ok := cfg["version"].(float64); !ok || v != 0.1 {
		t.Errorf("version = %v, want 0.1", cfg["version"])
	}
	s := defaults(t)
	out := cdkOutDir(t)
	functions := s.resources("AWS::Lambda::Function")
	sections := map[string]bool{}
	for env, v := range cfg {
		cmds, ok := v.(map[string]any)
		if !ok {
			continue
		}
		for cmd, v := range cmds {
			params, _ := v.(map[string]any)["parameters"].(map[string]any)
			name := env + "." + cmd
			sections[name] = true
			for key, val := range params {
				str, _ := val.(string)
				switch key {
				case "template_file", "template":
					// cdk.out/<Stack>.template.json, in the synthesized assembly.
					rel, err := filepath.Rel(out, str)
					if err != nil || strings.HasPrefix(rel, "..") {
						t.Errorf("%s.%s = %q is not in %s/ (the synth output)", name, key, str, out)
						continue
					}
					if _, err := os.Stat(filepath.Join(s.outdir, rel)); err != nil {
						t.Errorf("%s.%s = %q: not written by a synth (%v)", name, key, str, err)
					}
				case "env_vars":
					raw, err := os.ReadFile(filepath.Join(root, str))
					if err != nil {
						t.Errorf("%s.env_vars: %v", name, err)
						continue
					}
					var vars map[string]map[string]string
					if err := json.Unmarshal(raw, &vars); err != nil {
						t.Errorf("%s.env_vars %s: %v", name, str, err)
						continue
					}
					for id := range vars {
						if _, ok := functions[id]; !ok && id != "Parameters" {
							t.Errorf("%s: %s names %s, which is not a function of the template", name, str, id)
						}
					}
				case "event":
					if _, err := os.Stat(filepath.Join(root, str)); err != nil {
						t.Errorf("%s.event: %v", name, err)
					}
				case "function_identifier", "function_logical_id":
					if _, ok := functions[str]; !ok {
						t.Errorf("%s.%s = %q: no such function in the template", name, key, str)
					}
				}
			}
		}
	}
	for _, want := range []string{"default.local_invoke", "default.local_start_api", "default.deploy"} {
		if !sections[want] {
			t.Errorf("samconfig.toml has no [%s.parameters]", want)
		}
		if str, _ := cfg["default"].(map[string]any)[strings.TrimPrefix(want, "default.")].(map[string]any)["parameters"].(map[string]any)["template_file"].(string); str != filepath.Join(out, StackName+".template.json") {
			t.Errorf("[%s.parameters] template_file = %q, want %s", want, str, filepath.Join(out, StackName+".template.json"))
		}
	}
}

// events/env.json works with the template: every function it names exists,
// and every variable it sets is declared in that function's Environment
// (sam local invoke --env-vars silently drops undeclared ones).
func TestEnvVarsFileMatchesTemplate(t *testing.T) {
	s := defaults(t)
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "events", "env.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vars map[string]map[string]string
	if err := json.Unmarshal(raw, &vars); err != nil {
		t.Fatalf("events/env.json: %v", err)
	}
	for id, fnVars := range vars {
		if id == "Parameters" { // sam's global section
			continue
		}
		fn, ok := s.resources("AWS::Lambda::Function")[id]
		if !ok {
			t.Errorf("events/env.json names %s: not a function of the template", id)
			continue
		}
		declared := props(fn)["Environment"].(map[string]any)["Variables"].(map[string]any)
		for k := range fnVars {
			if _, ok := declared[k]; !ok {
				t.Errorf("events/env.json sets %s for %s, but the template does not declare it: sam would drop it", k, id)
			}
		}
		// Deployed-only sources a local run must replace (reported, not
		// failed: events/env.json belongs to its owner). sam's global
		// "Parameters" entry applies to every function, below its own.
		effective := map[string]string{}
		for k, v := range vars["Parameters"] {
			effective[k] = v
		}
		for k, v := range fnVars {
			effective[k] = v
		}
		var missing []string
		if _, deployed := declared["REDIS_CLUSTER"]; deployed && effective["REDIS_CLUSTER"] != "false" {
			missing = append(missing, "REDIS_CLUSTER=false")
		}
		for _, k := range []string{"REDIS_AUTH_SECRET_ARN", "JWT_SECRET_ARN", "WEBHOOK_SECRET_ARN"} {
			if _, deployed := declared[k]; !deployed {
				continue
			}
			if v, set := effective[k]; !set || v != "" {
				missing = append(missing, k+"=\"\"")
			}
		}
		if len(missing) > 0 {
			t.Logf("events/env.json: %s runs against the deployed cluster settings unless it sets %s (see docs/sam.md)", id, strings.Join(missing, ", "))
		}
	}
}

// docs/sam.md's "sam local invoke" section: one command per deployed
// function at least, each naming a function of the template and an event
// file that exists (or stdin).
func TestReadmeSamLocalInvokeCommands(t *testing.T) {
	s := defaults(t)
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "sam.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "\n## sam local invoke\n")
	if !ok {
		t.Fatal(`docs/sam.md has no "## sam local invoke" section`)
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	cmd := regexp.MustCompile(`sam local invoke (\S+)((?: [^\n]*)?)`)
	event := regexp.MustCompile(`(?:-e|--event) (\S+)`)
	covered := map[string]bool{}
	for _, m := range cmd.FindAllStringSubmatch(section, -1) {
		id, args := m[1], m[2]
		if _, ok := s.resources("AWS::Lambda::Function")[id]; !ok {
			t.Errorf("docs/sam.md: sam local invoke %s: no such function in the template", id)
			continue
		}
		covered[id] = true
		e := event.FindStringSubmatch(args)
		if e == nil && !strings.Contains(args, "--no-event") {
			t.Errorf("docs/sam.md: sam local invoke %s%s: no event", id, args)
			continue
		}
		if e != nil && e[1] != "-" {
			if _, err := os.Stat(filepath.Join(repoRoot(t), e[1])); err != nil {
				t.Errorf("docs/sam.md: sam local invoke %s: %v", id, err)
			}
		}
	}
	for _, spec := range Functions {
		if !covered[spec.LogicalID()] {
			t.Errorf("docs/sam.md: no sam local invoke command for %s", spec.LogicalID())
		}
	}
	ids := slices.Sorted(func(yield func(string) bool) {
		for id := range covered {
			if !yield(id) {
				return
			}
		}
	})
	t.Logf("docs/sam.md covers %v", ids)
}
