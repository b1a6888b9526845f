package stack

import (
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
)

// elfHeader is the 64-byte header of a little-endian ELF64 executable for
// machine m, with no sections or segments: enough for debug/elf.
func elfHeader(m elf.Machine) []byte {
	h := make([]byte, 64)
	copy(h, elf.ELFMAG)
	h[elf.EI_CLASS], h[elf.EI_DATA], h[elf.EI_VERSION] = byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)
	le := binary.LittleEndian
	le.PutUint16(h[16:], uint16(elf.ET_EXEC))
	le.PutUint16(h[18:], uint16(m))
	le.PutUint32(h[20:], uint32(elf.EV_CURRENT))
	le.PutUint16(h[52:], 64) // e_ehsize
	le.PutUint16(h[54:], 56) // e_phentsize
	le.PutUint16(h[58:], 64) // e_shentsize
	return h
}

func writeFile(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bootstrap")
	if err := os.WriteFile(p, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// A bootstrap passes when its ELF machine is the architecture's, or when it
// is a script; another machine or an unknown architecture is refused.
func TestCheckBootstrap(t *testing.T) {
	arm, x86 := writeFile(t, elfHeader(elf.EM_AARCH64)), writeFile(t, elfHeader(elf.EM_X86_64))
	script := writeFile(t, []byte("#!/bin/sh\n"))
	for _, c := range []struct {
		path, arch string
		refused    string // "" = accepted
	}{
		{arm, ArchARM64, ""},
		{x86, ArchX86_64, ""},
		{script, ArchARM64, ""},
		{script, ArchX86_64, ""},
		{x86, ArchARM64, "built for EM_X86_64"},
		{arm, ArchX86_64, "built for EM_AARCH64"},
		{arm, "amd64", `architecture "amd64"`},
	} {
		err := CheckBootstrap(c.path, c.arch)
		switch {
		case c.refused == "" && err != nil:
			t.Errorf("%s as %s: %v, want accepted", filepath.Base(filepath.Dir(c.path)), c.arch, err)
		case c.refused != "" && (err == nil || !strings.Contains(err.Error(), c.refused)):
			t.Errorf("%s as %s: %v, want an error containing %q", filepath.Base(filepath.Dir(c.path)), c.arch, err, c.refused)
		}
	}
}

// New refuses a dist/ whose bootstraps were built for the other
// architecture, naming the setting, before it builds anything.
func TestNewRefusesBootstrapsOfTheOtherArchitecture(t *testing.T) {
	dist := t.TempDir()
	for _, s := range Functions {
		if err := os.MkdirAll(filepath.Join(dist, s.Name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dist, s.Name, "bootstrap"), elfHeader(elf.EM_AARCH64), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	p := DefaultProps()
	p.RepoRoot = repoRoot(t)
	p.DistDir = dist
	p.Architecture = ArchX86_64
	defer func() {
		r := recover()
		if msg, _ := r.(string); !strings.Contains(msg, "built for EM_AARCH64") || !strings.Contains(msg, ArchEnv) {
			t.Errorf("New with arm64 bootstraps and Architecture x86_64: %v, want a refusal naming the machine and %s", r, ArchEnv)
		}
	}()
	New(awscdk.NewApp(nil), "Mismatch", p)
}

// The Makefile's default LAMBDA_ARCH is DefaultArchitecture, and the
// Makefile maps each architecture to the GOARCH of its ELF machine.
func TestMakefileArchitecture(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	mk := string(raw)
	m := regexp.MustCompile(`(?m)^` + ArchEnv + ` \?= (\S+)$`).FindStringSubmatch(mk)
	if m == nil || m[1] != DefaultArchitecture {
		t.Errorf("Makefile: %s default %v, want %q", ArchEnv, m, DefaultArchitecture)
	}
	if !strings.Contains(mk, "export "+ArchEnv) {
		t.Errorf("Makefile does not export %s to the CDK app", ArchEnv)
	}
	for arch, goarch := range map[string]string{ArchARM64: "arm64", ArchX86_64: "amd64"} {
		if !strings.Contains(mk, "GOARCH_"+arch+" := "+goarch+"\n") {
			t.Errorf("Makefile: no GOARCH_%s := %s", arch, goarch)
		}
	}
	if DefaultProps().Architecture != DefaultArchitecture {
		t.Errorf("DefaultProps().Architecture = %q", DefaultProps().Architecture)
	}
}

// x86_64 with tracing: every function declares x86_64 and active tracing
// (with the X-Ray write statement in its own policy, no second policy), and
// the stage traces; by default, neither.
func TestArchitectureAndTracingProps(t *testing.T) {
	on := synth(t, "x86_64-tracing", func(p *Props) { p.Architecture = ArchX86_64; p.Tracing = true })
	off := defaults(t)
	if a, b := len(on.resources("AWS::IAM::Policy")), len(off.resources("AWS::IAM::Policy")); a != b {
		t.Errorf("%d AWS::IAM::Policy resources with tracing, %d without: want the X-Ray statement in each role's own policy", a, b)
	}
	for name, s := range map[string]*synthesized{"x86_64-tracing": on, "default": off} {
		arch, tracing := ArchARM64, false
		if s == on {
			arch, tracing = ArchX86_64, true
		}
		for _, spec := range Functions {
			p := props(s.resource(t, spec.LogicalID()))
			if got := js(p["Architectures"]); got != `["`+arch+`"]` {
				t.Errorf("%s: %s: Architectures = %s, want [%s]", name, spec.Name, got, arch)
			}
			tc := js(p["TracingConfig"])
			if tracing && tc != `{"Mode":"Active"}` || !tracing && tc != "null" {
				t.Errorf("%s: %s: TracingConfig = %s", name, spec.Name, tc)
			}
		}
		xray := strings.Contains(js(s.resources("AWS::IAM::Role")), "xray:PutTraceSegments")
		if xray != tracing {
			t.Errorf("%s: a role may write X-Ray traces: %v, want %v", name, xray, tracing)
		}
		_, stage := s.only(t, "AWS::ApiGateway::Stage")
		if got, _ := props(stage)["TracingEnabled"].(bool); got != tracing {
			t.Errorf("%s: stage TracingEnabled = %v, want %v", name, props(stage)["TracingEnabled"], tracing)
		}
	}
}
