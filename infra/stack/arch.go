package stack

import (
	"debug/elf"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
)

// ArchEnv names the one architecture setting: the Makefile builds the
// bootstraps for it (`make build LAMBDA_ARCH=x86_64`) and exports it to the
// CDK app, which declares it as every function's Architectures. Both
// default to DefaultArchitecture.
const ArchEnv = "LAMBDA_ARCH"

// The architectures a function can run on, as Lambda spells them.
const (
	ArchARM64  = "arm64"
	ArchX86_64 = "x86_64"
)

// DefaultArchitecture is Graviton: cheaper per GB-second than x86_64 for
// the same Go code. The Makefile's `LAMBDA_ARCH ?=` line is the same value
// (a test compares them).
const DefaultArchitecture = ArchARM64

// archMachine is the ELF machine a bootstrap must be built for.
var archMachine = map[string]elf.Machine{ArchARM64: elf.EM_AARCH64, ArchX86_64: elf.EM_X86_64}

// ArchitectureFromEnv is LAMBDA_ARCH, or DefaultArchitecture when unset.
func ArchitectureFromEnv() string {
	if a := os.Getenv(ArchEnv); a != "" {
		return a
	}
	return DefaultArchitecture
}

func (p Props) architecture() awslambda.Architecture {
	if p.Architecture == ArchX86_64 {
		return awslambda.Architecture_X86_64()
	}
	return awslambda.Architecture_ARM_64()
}

// CheckBootstrap refuses a bootstrap that is an ELF binary for another
// machine than arch: deployed, such a function fails at every start, and
// `sam local invoke` fails with "exec format error". A bootstrap that is
// not ELF (a script) runs on either architecture.
func CheckBootstrap(path, arch string) error {
	want, ok := archMachine[arch]
	if !ok {
		return fmt.Errorf("architecture %q: want %s or %s", arch, ArchARM64, ArchX86_64)
	}
	magic := make([]byte, len(elf.ELFMAG))
	r, err := os.Open(path)
	if err != nil {
		return err
	}
	_, err = io.ReadFull(r, magic)
	r.Close()
	if err != nil || string(magic) != elf.ELFMAG {
		return nil // not ELF: a script
	}
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if f.Machine != want {
		return fmt.Errorf("%s is built for %v, but the template declares Architectures [%s] (%s=%s): build and synth with the same %s (`make synth %s=%s`)",
			path, f.Machine, arch, ArchEnv, arch, ArchEnv, ArchEnv, archName(f.Machine))
	}
	return nil
}

// archName is the Lambda architecture of an ELF machine ("?" for others).
func archName(m elf.Machine) string {
	for a, mm := range archMachine {
		if mm == m {
			return a
		}
	}
	return "?"
}
