package spec

import (
	"slices"
	"testing"
)

// templateArgs finds the build args a template names wherever they stand:
// in actions, pipelines, branches and their else parts, and parentheses.
func TestTemplateArgs(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"plain", nil},
		{"{{.Version}}-{{.Args.A}}", []string{"A"}},
		{`{{index .Args "B"}}`, []string{"B"}},
		{"{{if .Args.C}}{{.Args.D}}{{else}}{{.Args.E}}{{end}}", []string{"C", "D", "E"}},
		{"{{range .Args.F}}{{.}}{{else}}{{.Args.G}}{{end}}", []string{"F", "G"}},
		{"{{with .Args.H}}{{.}}{{else with .Args.I}}{{.Args.J}}{{end}}", []string{"H", "I", "J"}},
		{`{{printf "%s-%s" (index .Args "K") .Args.L | printf "%s"}}`, []string{"K", "L"}},
		{"{{.Args.Z}}{{.Args.A}}{{.Args.Z}}", []string{"A", "Z"}},
		{"{{.Args.", nil},
	} {
		if got := templateArgs(tc.text); !slices.Equal(got, tc.want) {
			t.Errorf("templateArgs(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}
