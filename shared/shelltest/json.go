package shelltest

import (
	"fmt"
	"reflect"
	"slices"
)

// Leaf decides a path itself when it says so (handled): the diffs it
// returns stand for that path. A README runner uses it for members whose
// values depend on the time, or for placeholders.
type Leaf func(path string, want, got any) (diffs []string, handled bool)

// DiffJSON lists where got (a decoded JSON answer) differs from want (the
// answer a document shows): members shown but not answered and the other
// way round, arrays of another length, unequal values. leaf, when not nil,
// is asked first at every path.
func DiffJSON(path string, want, got any, leaf Leaf) []string {
	if leaf != nil {
		if d, ok := leaf(path, want, got); ok {
			return d
		}
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s = %v, want an object", path, got)}
		}
		var out []string
		for k := range w {
			if _, ok := g[k]; !ok {
				out = append(out, fmt.Sprintf("%s.%s is shown, but not in the answer", path, k))
			}
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				out = append(out, fmt.Sprintf("%s.%s is in the answer (%v), but not shown", path, k, g[k]))
			}
		}
		for k := range w {
			if _, ok := g[k]; ok {
				out = append(out, DiffJSON(path+"."+k, w[k], g[k], leaf)...)
			}
		}
		slices.Sort(out)
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s = %v, want %v", path, got, w)}
		}
		var out []string
		for i := range w {
			out = append(out, DiffJSON(fmt.Sprintf("%s[%d]", path, i), w[i], g[i], leaf)...)
		}
		return out
	}
	if !reflect.DeepEqual(want, got) {
		return []string{fmt.Sprintf("%s = %v, want %v", path, got, want)}
	}
	return nil
}
