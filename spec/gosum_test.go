package spec

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseGoSum(t *testing.T) {
	data := "example.com/a v1.0.0 h1:a=\nexample.com/a v1.0.0/go.mod h1:am=\nexample.com/b v0.1.0/go.mod h1:bm=\n\nexample.com/a v1.1.0/go.mod h1:a11=\n"
	got, err := ParseGoSum("sub/go.sum", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := []ModuleSum{
		{Path: "example.com/a", Version: "v1.0.0", Zip: "h1:a=", GoMod: "h1:am="},
		{Path: "example.com/b", Version: "v0.1.0", GoMod: "h1:bm="},
		{Path: "example.com/a", Version: "v1.1.0", GoMod: "h1:a11="},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	_, err = ParseGoSum("sub/go.sum", []byte("example.com/a v1.0.0 h1:a=\nexample.com/b v1.0.0\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "sub/go.sum:2: ") {
		t.Errorf("a line without a hash: %v", err)
	}
}
