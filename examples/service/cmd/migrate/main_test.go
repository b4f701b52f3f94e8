package main

import (
	"bytes"
	"testing"
)

func TestRun(t *testing.T) {
	var b bytes.Buffer
	if err := run(&b); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != "migrate dev\n" {
		t.Errorf("got %q", got)
	}
}
