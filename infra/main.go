// Command infra is the Lambdis CDK app: `make synth` (npx cdk synth, run from
// infra/, see cdk.json) writes the stack's template to ../cdk.out.
package main

import (
	"fmt"
	"os"

	"github.com/lambdis/lambdis/infra/stack"
)

func main() {
	if err := stack.Synth(); err != nil {
		fmt.Fprintln(os.Stderr, "infra:", err)
		os.Exit(1)
	}
}
