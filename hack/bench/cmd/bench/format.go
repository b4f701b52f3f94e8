package main

import (
	"fmt"
	"strconv"
	"strings"
)

func fmtSec(x float64) string {
	switch {
	case x < 10:
		return fmt.Sprintf("%.2f s", x)
	case x < 100:
		return fmt.Sprintf("%.1f s", x)
	}
	return fmt.Sprintf("%.0f s", x)
}

func fmtRange(t Timing) string {
	if len(t.Samples) < 2 {
		return ""
	}
	return fmt.Sprintf("%s–%s", strings.TrimSuffix(fmtSec(t.Min), " s"), fmtSec(t.Max))
}

func mib(n int64) string { return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20)) }

// comma formats n with thousands separators.
func comma(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
