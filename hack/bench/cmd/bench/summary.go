package main

import (
	"fmt"
	"io"
	"text/tabwriter"
)

func (r *Results) get(toolID, scenarioID string) (Timing, bool) {
	for _, t := range r.Timings {
		if t.Tool == toolID && t.Scenario == scenarioID {
			return t, true
		}
	}
	return Timing{}, false
}

func (r *Results) hasTool(id string) bool {
	for _, t := range r.Tools {
		if t.ID == id {
			return true
		}
	}
	return false
}

func (r *Results) toolLabel(id string) string {
	l := tool(id).Label
	if id == "ko" && r.Machine.Ko != "" {
		l += " " + r.Machine.Ko
	}
	if id == "gobuild-base" && r.BaseRef != "" {
		l = "gobuild @" + r.BaseRef
	}
	return l
}

// cell formats one table cell: median (min–max) and the ratio to the
// Dockerfile's median; gobuild's also the ratio to gobuild-base's.
func (r *Results) cell(toolID, scenarioID string, md bool) string {
	t, ok := r.get(toolID, scenarioID)
	switch {
	case !ok:
		return "–"
	case t.NA != "":
		return "n/a"
	case len(t.Samples) == 0:
		return "–"
	}
	s := fmtSec(t.Median)
	if md {
		s = "**" + s + "**"
	}
	if rg := fmtRange(t); rg != "" {
		s += " (" + rg + ")"
	}
	if toolID != "dockerfile" {
		if d, ok := r.get("dockerfile", scenarioID); ok && d.Median > 0 && len(d.Samples) > 0 {
			s += fmt.Sprintf(" %.2f×", t.Median/d.Median)
		}
	}
	if toolID == "gobuild" {
		if d, ok := r.get("gobuild-base", scenarioID); ok && d.Median > 0 && len(d.Samples) > 0 {
			s += fmt.Sprintf(" (%.2f× base)", t.Median/d.Median)
		}
	}
	return s
}

// printSummary writes the table to stdout.
func printSummary(w io.Writer, r *Results) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "scenario (median of %d, s)", r.Runs)
	for _, t := range r.Tools {
		fmt.Fprintf(tw, "\t%s", r.toolLabel(t.ID))
	}
	fmt.Fprintln(tw)
	for _, s := range r.Scenarios {
		if s.NoTiming {
			continue
		}
		fmt.Fprint(tw, s.Label)
		for _, t := range r.Tools {
			fmt.Fprintf(tw, "\t%s", r.cell(t.ID, s.ID, false))
		}
		fmt.Fprintln(tw)
	}
	fmt.Fprintln(tw)
	if len(r.Sizes) > 0 {
		fmt.Fprintln(tw, "size (linux/amd64)\timages\tcompressed\tuncompressed\tbinaries\tuncompressed/binaries")
	}
	for _, s := range r.Sizes {
		if s.Images == 0 {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t%s\t-\n", r.toolLabel(s.Tool), mib(s.BinaryBytes))
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%.3f\n", r.toolLabel(s.Tool), s.Images, mib(s.Compressed), mib(s.Uncompressed), mib(s.BinaryBytes), float64(s.Uncompressed)/float64(s.BinaryBytes))
	}
	if len(r.Sizes) > 0 {
		fmt.Fprintln(tw)
	}
	r.printBumps(tw)
	fmt.Fprintln(tw, "target\tmeasured\tholds")
	for _, t := range r.targets() {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Target, t.Measured, t.Holds)
	}
	tw.Flush()
	if r.TotalSeconds > 0 {
		fmt.Fprintf(w, "\nthe benchmark took %.1f min\n", r.TotalSeconds/60)
	}
}
