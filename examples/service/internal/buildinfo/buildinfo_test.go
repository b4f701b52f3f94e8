package buildinfo

import "testing"

func TestNew(t *testing.T) {
	if got, want := New("", "", "").String(), "dev (commit unknown)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	i := New("1.2.3", "abc123", "2023-11-14T22:13:20Z")
	if got, want := i.String(), "1.2.3 (commit abc123, built 2023-11-14T22:13:20Z)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
