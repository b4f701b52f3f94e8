package main

import (
	"strings"
	"testing"
)

func timing(toolID, scenarioID string, median float64) Timing {
	return Timing{Tool: toolID, Scenario: scenarioID, Samples: []float64{median}, Median: median, Min: median, Max: median}
}

func TestTargets(t *testing.T) {
	r := &Results{
		Timings: []Timing{
			timing("gobuild", "edit", 12), timing("go", "edit", 10), timing("dockerfile", "edit", 15),
			timing("gobuild", "noop", 1), timing("dockerfile", "noop", 1),
			timing("gobuild", "cold", 100), timing("dockerfile", "cold", 90),
			timing("gobuild", "fresh-edit", 30),
			// fresh-same has no number: its row is undecided.
		},
		Sizes: []Size{{Tool: "gobuild", Images: 2, Uncompressed: 104, BinaryBytes: 100}},
	}
	want := []struct{ holds, measured string }{
		{"yes", "1.20× (12.0 s against 10.0 s)"}, // exactly at the limit holds
		{"yes", "0.80×"},
		{"yes", "1.00×"}, // equal is no slower
		{"no", "1.11×"},
		{"yes", "0.30×"},
		{"–", "–"},
		{"yes", "1.040×"},
		// Issue 19's rows (bump_test.go) have no numbers here.
		{"–", "–"}, {"–", "–"}, {"–", "–"}, {"–", "–"}, {"–", "–"}, {"–", "–"}, {"–", "–"},
	}
	got := r.targets()
	if len(got) != len(want) {
		t.Fatalf("%d targets, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].Holds != w.holds || !strings.HasPrefix(got[i].Measured, w.measured) {
			t.Errorf("%s: measured %q, holds %q; want %q..., %q", got[i].Target, got[i].Measured, got[i].Holds, w.measured, w.holds)
		}
	}

	// A strict target fails at equality, and a size over 5% fails.
	r.Timings[2] = timing("dockerfile", "edit", 12)
	r.Sizes[0].Uncompressed = 106
	got = r.targets()
	if got[1].Holds != "no" || got[6].Holds != "no" {
		t.Errorf("edit equal to the Dockerfile: %q (want no); size 1.06×: %q (want no)", got[1].Holds, got[6].Holds)
	}
}
