package spec

import _ "embed"

//go:generate go run ./internal/genschema/cmd

//go:embed gobuild.schema.json
var schema []byte

// Schema is the JSON Schema of gobuild.yaml (gobuild.schema.json, draft
// 2020-12), generated from the types of this package and their doc comments
// by go generate ./spec.
func Schema() []byte { return schema }
