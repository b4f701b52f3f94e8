package spec

import (
	"testing"
	"time"
)

func TestEpochOr(t *testing.T) {
	if got := EpochOr(nil); !got.Equal(time.Unix(0, 0)) || got.Location() != time.UTC || got.Format(time.RFC3339) != "1970-01-01T00:00:00Z" {
		t.Errorf("EpochOr(nil) = %v", got)
	}
	_, epoch, err := NewValues(map[string]string{"SOURCE_DATE_EPOCH": "1700000000"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := EpochOr(epoch); got.Format(time.RFC3339) != "2023-11-14T22:13:20Z" {
		t.Errorf("EpochOr(SOURCE_DATE_EPOCH=1700000000) = %v", got)
	}
	if _, epoch, _ := NewValues(nil, ""); epoch != nil {
		t.Errorf("NewValues without SOURCE_DATE_EPOCH gave epoch %v", epoch)
	}
}
