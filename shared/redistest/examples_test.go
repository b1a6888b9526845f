package redistest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// examplePackages are the shared packages a user imports on their own:
// each must have a runnable Example with an // Output: comment, so that
// `go test ./shared/...` proves it and the Go documentation shows it.
var examplePackages = []string{"authz", "cache", "idempotency", "keys", "leaderboard", "lock", "queue", "ratelimit", "redisconn", "session"}

func TestSharedPackagesHaveRunnableExamples(t *testing.T) {
	for _, pkg := range examplePackages {
		files, err := filepath.Glob(filepath.Join("..", pkg, "*_test.go"))
		if err != nil {
			t.Fatal(err)
		}
		runnable := 0
		for _, name := range files {
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range f.Decls {
				fn, ok := d.(*ast.FuncDecl)
				if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "Example") || fn.Body == nil {
					continue
				}
				for _, c := range f.Comments {
					if c.Pos() > fn.Body.Lbrace && c.End() < fn.Body.Rbrace && strings.HasPrefix(c.Text(), "Output:") {
						runnable++
						break
					}
				}
			}
		}
		if runnable == 0 {
			t.Errorf("shared/%s has no runnable Example (a func Example... with an // Output: comment)", pkg)
		}
	}
}
