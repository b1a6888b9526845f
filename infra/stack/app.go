package stack

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// AppContext is the context every app is built with. Asset metadata tells
// `sam local invoke` where each function's code is in cdk.out (the CDK CLI
// sets it too, but the app must not depend on how it is started).
var AppContext = map[string]any{
	"aws:cdk:enable-asset-metadata": true,
	"aws:cdk:enable-path-metadata":  true,
}

// NewApp returns the app with the Lambdis stack and the cdk-nag AwsSolutions
// checks; outdir "" means CDK_OUTDIR (set by the CDK CLI) or a temporary
// directory.
func NewApp(outdir string, p Props) (awscdk.App, *Stack) { return newApp(outdir, p, false) }

// newApp is NewApp; logIgnores makes cdk-nag report every suppressed finding
// as an info annotation (the tests check that no suppression is stale).
func newApp(outdir string, p Props, logIgnores bool) (awscdk.App, *Stack) {
	ctx := map[string]any{}
	for k, v := range AppContext {
		ctx[k] = v
	}
	props := &awscdk.AppProps{Context: &ctx}
	if outdir != "" {
		props.Outdir = jsii.String(outdir)
	}
	app := awscdk.NewApp(props)
	st := New(app, StackName, p)
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true), LogIgnores: jsii.Bool(logIgnores)}), nil)
	return app, st
}

// FindRoot returns the repository root above dir: the first directory with
// both go.mod and functions/.
func FindRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if isFile(filepath.Join(dir, "go.mod")) && isDir(filepath.Join(dir, "functions")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no repository root (go.mod and functions/) above the working directory")
		}
		dir = parent
	}
}

func isFile(p string) bool { st, err := os.Stat(p); return err == nil && st.Mode().IsRegular() }
func isDir(p string) bool  { st, err := os.Stat(p); return err == nil && st.IsDir() }

// Synth is the CDK app's main: the default props with the architecture of
// LAMBDA_ARCH, the repository found from the working directory, the
// template written to CDK_OUTDIR.
func Synth() (err error) {
	defer jsii.Close()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	root, err := FindRoot(wd)
	if err != nil {
		return err
	}
	p := DefaultProps()
	p.RepoRoot = root
	p.Architecture = ArchitectureFromEnv()
	app, _ := NewApp("", p)
	app.Synth(nil)
	return nil
}
