package genschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// object is a JSON object that keeps the order of its keys.
type object struct {
	keys []string
	vals map[string]any
}

// keywordOrder is the order in which format writes the keywords of a
// schema, for a file that reads from what a value is to what it holds.
// Keywords not listed follow, sorted.
var keywordOrder = []string{
	"$schema", "$id", "$comment", "title", "description",
	"$ref", "type", "enum", "const", "not", "pattern", "minimum", "maximum",
	"default", "examples",
	"required", "propertyNames", "additionalProperties", "items", "properties",
	"$defs",
}

// subschemas are keywords whose value is a schema; schemaMaps those whose
// value maps names to schemas (in an order worth keeping).
var (
	subschemas = []string{"not", "items", "additionalProperties", "propertyNames", "contains", "if", "then", "else"}
	schemaMaps = []string{"properties", "$defs", "patternProperties", "dependentSchemas"}
	schemaList = []string{"allOf", "anyOf", "oneOf", "prefixItems"}
)

// format rewrites the JSON schema b deterministically: keywords in
// keywordOrder, properties in the order of the Go fields, 2-space indent,
// <, > and & written as they are, and a trailing newline.
func format(b []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	v, err := decodeOrdered(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("genschema: trailing data after the schema")
	}
	var buf bytes.Buffer
	if err := write(&buf, v, "", true); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

func decodeOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		o := &object{vals: map[string]any{}}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			key := k.(string)
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			if _, dup := o.vals[key]; !dup {
				o.keys = append(o.keys, key)
			}
			o.vals[key] = v
		}
		_, err := dec.Token() // }
		return o, err
	case json.Delim('['):
		list := []any{}
		for dec.More() {
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		_, err := dec.Token() // ]
		return list, err
	}
	return tok, nil
}

// write writes v at the given indent; isSchema says v is a schema, whose
// keywords are put in order.
func write(buf *bytes.Buffer, v any, indent string, isSchema bool) error {
	inner := indent + "  "
	switch v := v.(type) {
	case *object:
		if len(v.keys) == 0 {
			buf.WriteString("{}")
			return nil
		}
		keys := v.keys
		if isSchema {
			keys = orderKeywords(keys)
		}
		buf.WriteString("{\n")
		for i, k := range keys {
			buf.WriteString(inner)
			if err := writeScalar(buf, k); err != nil {
				return err
			}
			buf.WriteString(": ")
			var err error
			switch {
			case !isSchema:
				err = write(buf, v.vals[k], inner, false)
			case slices.Contains(subschemas, k):
				err = write(buf, v.vals[k], inner, true)
			case slices.Contains(schemaMaps, k):
				err = writeSchemaMap(buf, v.vals[k], inner)
			case slices.Contains(schemaList, k):
				err = writeList(buf, v.vals[k], inner, true)
			default:
				err = write(buf, v.vals[k], inner, false)
			}
			if err != nil {
				return err
			}
			if i < len(keys)-1 {
				buf.WriteByte(',')
			}
			buf.WriteByte('\n')
		}
		buf.WriteString(indent + "}")
		return nil
	case []any:
		return writeList(buf, v, indent, false)
	}
	return writeScalar(buf, v)
}

func writeSchemaMap(buf *bytes.Buffer, v any, indent string) error {
	o, ok := v.(*object)
	if !ok {
		return fmt.Errorf("genschema: expected an object of schemas, got %T", v)
	}
	inner := indent + "  "
	buf.WriteString("{\n")
	for i, k := range o.keys {
		buf.WriteString(inner)
		if err := writeScalar(buf, k); err != nil {
			return err
		}
		buf.WriteString(": ")
		if err := write(buf, o.vals[k], inner, true); err != nil {
			return err
		}
		if i < len(o.keys)-1 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
	}
	buf.WriteString(indent + "}")
	return nil
}

func writeList(buf *bytes.Buffer, v any, indent string, ofSchemas bool) error {
	list, ok := v.([]any)
	if !ok {
		return fmt.Errorf("genschema: expected a list, got %T", v)
	}
	if len(list) == 0 {
		buf.WriteString("[]")
		return nil
	}
	inner := indent + "  "
	buf.WriteString("[\n")
	for i, e := range list {
		buf.WriteString(inner)
		if err := write(buf, e, inner, ofSchemas); err != nil {
			return err
		}
		if i < len(list)-1 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
	}
	buf.WriteString(indent + "]")
	return nil
}

func writeScalar(buf *bytes.Buffer, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	buf.Write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
	return nil
}

func orderKeywords(keys []string) []string {
	out := slices.Clone(keys)
	rank := func(k string) int {
		if i := slices.Index(keywordOrder, k); i >= 0 {
			return i
		}
		return len(keywordOrder)
	}
	slices.SortStableFunc(out, func(a, b string) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(a, b)
	})
	return out
}
