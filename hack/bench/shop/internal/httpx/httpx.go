// Package httpx is the API's HTTP plumbing: JSON in and out, errors,
// paging, field selection and middleware.
package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"example.com/bench/shop/internal/auth"
	"example.com/bench/shop/internal/logging"
	"example.com/bench/shop/internal/store"
	"example.com/bench/shop/internal/validation"
)

// Error is an error with an HTTP status and a stable code.
type Error struct {
	Status  int               `json:"-"`
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

func (e *Error) Error() string { return e.Message }

// BadRequest is a 400.
func BadRequest(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "bad_request", Message: fmt.Sprintf(format, args...)}
}

// NotFound is a 404 naming what was not found.
func NotFound(what, id string) *Error {
	return &Error{Status: http.StatusNotFound, Code: "not_found", Message: fmt.Sprintf("%s %q not found", what, id)}
}

// Conflict is a 409.
func Conflict(format string, args ...any) *Error {
	return &Error{Status: http.StatusConflict, Code: "conflict", Message: fmt.Sprintf(format, args...)}
}

// Unprocessable is a 422 for requests that are well-formed but not allowed
// in the current state.
func Unprocessable(format string, args ...any) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Code: "unprocessable", Message: fmt.Sprintf(format, args...)}
}

// MaxBody bounds request bodies read by Decode.
var MaxBody int64 = 1 << 20

// Decode reads a JSON body into v, refusing unknown fields and trailing data.
func Decode(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Message: "want application/json"}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var maxErr *http.MaxBytesError
		var synErr *json.SyntaxError
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &maxErr):
			return &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: fmt.Sprintf("body larger than %d bytes", maxErr.Limit)}
		case errors.As(err, &synErr):
			return BadRequest("malformed JSON at byte %d", synErr.Offset)
		case errors.As(err, &typeErr):
			return &Error{Status: http.StatusBadRequest, Code: "bad_request", Message: "wrong type", Fields: map[string]string{typeErr.Field: "must be " + typeErr.Type.String()}}
		case errors.Is(err, io.EOF):
			return BadRequest("empty body")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return BadRequest("unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
		}
		return BadRequest("%v", err)
	}
	if dec.More() {
		return BadRequest("body has more than one JSON value")
	}
	return nil
}

// JSON writes v with status.
func JSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"code":"internal","message":"encoding failed"}`, http.StatusInternalServerError)
		return
	}
	WriteJSON(w, status, b)
}

// WriteJSON writes an already encoded body.
func WriteJSON(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// Fail writes err as a JSON error with the status it maps to.
func Fail(w http.ResponseWriter, r *http.Request, err error) {
	var he *Error
	var verrs validation.Errors
	switch {
	case errors.As(err, &he):
	case errors.As(err, &verrs):
		he = &Error{Status: http.StatusUnprocessableEntity, Code: "invalid", Message: "invalid input", Fields: verrs}
	case errors.Is(err, store.ErrNotFound):
		he = &Error{Status: http.StatusNotFound, Code: "not_found", Message: err.Error()}
	case errors.Is(err, store.ErrConflict):
		he = &Error{Status: http.StatusConflict, Code: "conflict", Message: err.Error()}
	case errors.Is(err, store.ErrStale):
		he = &Error{Status: http.StatusPreconditionFailed, Code: "stale", Message: "the resource changed; fetch it again"}
	case errors.Is(err, auth.ErrNoToken), errors.Is(err, auth.ErrBadToken):
		he = &Error{Status: http.StatusUnauthorized, Code: "unauthorized", Message: err.Error()}
	case errors.Is(err, auth.ErrForbidden):
		he = &Error{Status: http.StatusForbidden, Code: "forbidden", Message: "not allowed"}
	default:
		logging.From(r.Context()).Error().Err(err).Str("path", r.URL.Path).Msg("request failed")
		he = &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}
	}
	JSON(w, he.Status, he)
}

// Page is the paging of a list request.
type Page struct {
	Limit  int
	Offset int
}

// ParsePage reads limit (default def, at most max) and offset.
func ParsePage(q url.Values, def, max int) (Page, error) {
	p := Page{Limit: def}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > max {
			return Page{}, BadRequest("limit must be between 1 and %d", max)
		}
		p.Limit = n
	}
	if s := q.Get("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return Page{}, BadRequest("offset must be a non-negative integer")
		}
		p.Offset = n
	}
	return p, nil
}

// List is a page of items.
type List[T any] struct {
	Items  []T    `json:"items"`
	Total  int    `json:"total"`
	Limit  int    `json:"limit"`
	Offset int    `json:"offset"`
	Next   string `json:"next,omitempty"`
}

// NewList builds a page and the link to the next one.
func NewList[T any](r *http.Request, items []T, total int, p Page) List[T] {
	if items == nil {
		items = []T{}
	}
	l := List[T]{Items: items, Total: total, Limit: p.Limit, Offset: p.Offset}
	if p.Offset+len(items) < total {
		q := r.URL.Query()
		q.Set("offset", strconv.Itoa(p.Offset+p.Limit))
		q.Set("limit", strconv.Itoa(p.Limit))
		u := *r.URL
		u.RawQuery = q.Encode()
		l.Next = u.RequestURI()
	}
	return l
}

// Project keeps only the comma-separated fields (gjson paths) of a JSON
// object, or of each object in its "items" array.
func Project(body []byte, fields string) ([]byte, error) {
	if strings.TrimSpace(fields) == "" {
		return body, nil
	}
	paths := strings.Split(fields, ",")
	one := func(obj []byte) ([]byte, error) {
		out := []byte(`{}`)
		for _, p := range paths {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			v := gjson.GetBytes(obj, p)
			if !v.Exists() {
				continue
			}
			var err error
			if out, err = sjson.SetRawBytes(out, p, []byte(v.Raw)); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	items := gjson.GetBytes(body, "items")
	if !items.IsArray() {
		return one(body)
	}
	out := body
	var err error
	i := 0
	items.ForEach(func(_, item gjson.Result) bool {
		var p []byte
		if p, err = one([]byte(item.Raw)); err != nil {
			return false
		}
		if out, err = sjson.SetRawBytes(out, "items."+strconv.Itoa(i), p); err != nil {
			return false
		}
		i++
		return true
	})
	return out, err
}

// Respond writes v, narrowed to the ?fields= the client asked for.
func Respond(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		Fail(w, r, err)
		return
	}
	if f := r.URL.Query().Get("fields"); f != "" {
		if b, err = Project(b, f); err != nil {
			Fail(w, r, BadRequest("fields: %v", err))
			return
		}
	}
	WriteJSON(w, status, b)
}

// IfMatch reads the If-Match header as a version number; 0 means absent.
func IfMatch(r *http.Request) (int64, error) {
	h := strings.Trim(r.Header.Get("If-Match"), `W/"`)
	if h == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(h, 10, 64)
	if err != nil || v < 1 {
		return 0, BadRequest("If-Match must be a version number")
	}
	return v, nil
}

// SetETag writes the version as the ETag.
func SetETag(w http.ResponseWriter, version int64) {
	w.Header().Set("ETag", `"`+strconv.FormatInt(version, 10)+`"`)
}
