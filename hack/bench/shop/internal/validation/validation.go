// Package validation checks input structs with struct tags and turns the
// failures into messages keyed by JSON field name.
package validation

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/go-playground/validator/v10"

	"example.com/bench/shop/internal/money"
)

// Errors maps a JSON field path to what is wrong with it.
type Errors map[string]string

// Error lists the fields in order.
func (e Errors) Error() string {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("invalid input: ")
	for i, k := range keys {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %s", k, e[k])
	}
	return b.String()
}

// Add records a problem with field unless one is already recorded.
func (e Errors) Add(field, msg string) {
	if _, ok := e[field]; !ok {
		e[field] = msg
	}
}

// Check records msg for field when ok is false.
func (e Errors) Check(ok bool, field, msg string) {
	if !ok {
		e.Add(field, msg)
	}
}

// Err returns e as an error, or nil when it is empty.
func (e Errors) Err() error {
	if len(e) == 0 {
		return nil
	}
	return e
}

var (
	once     sync.Once
	validate *validator.Validate

	skuRE  = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{2,31}$`)
	slugRE = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)
	codeRE = regexp.MustCompile(`^[A-Z0-9]{4,16}$`)
)

func instance() *validator.Validate {
	once.Do(func() {
		v := validator.New(validator.WithRequiredStructEnabled())
		v.RegisterTagNameFunc(func(f reflect.StructField) string {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				return ""
			}
			if name == "" {
				return f.Name
			}
			return name
		})
		must(v.RegisterValidation("sku", func(fl validator.FieldLevel) bool { return skuRE.MatchString(fl.Field().String()) }))
		must(v.RegisterValidation("slug", func(fl validator.FieldLevel) bool { return slugRE.MatchString(fl.Field().String()) }))
		must(v.RegisterValidation("code", func(fl validator.FieldLevel) bool { return codeRE.MatchString(fl.Field().String()) }))
		must(v.RegisterValidation("currency", func(fl validator.FieldLevel) bool { return money.Known(fl.Field().String()) }))
		validate = v
	})
	return validate
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// Struct validates s by its `validate` tags. The error, if any, is Errors.
func Struct(s any) error {
	err := instance().Struct(s)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return err
	}
	out := Errors{}
	for _, fe := range verrs {
		out.Add(fieldPath(fe.Namespace()), message(fe))
	}
	return out
}

// Var validates one value against a tag such as "required,email".
func Var(v any, tag string) error {
	return instance().Var(v, tag)
}

func fieldPath(ns string) string {
	// Drop the struct name: "CreateInput.address.city" -> "address.city".
	if _, rest, ok := strings.Cut(ns, "."); ok {
		return rest
	}
	return ns
}

func message(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required", "required_without", "required_if":
		return "is required"
	case "email":
		return "is not an email address"
	case "url", "http_url":
		return "is not a URL"
	case "min":
		if fe.Kind() == reflect.String {
			return "must be at least " + fe.Param() + " characters"
		}
		return "must be at least " + fe.Param()
	case "max":
		if fe.Kind() == reflect.String {
			return "must be at most " + fe.Param() + " characters"
		}
		return "must be at most " + fe.Param()
	case "gte":
		return "must be " + fe.Param() + " or more"
	case "lte":
		return "must be " + fe.Param() + " or less"
	case "oneof":
		return "must be one of " + strings.ReplaceAll(fe.Param(), " ", ", ")
	case "sku":
		return "must be 3-32 upper-case letters, digits or dashes"
	case "slug":
		return "must be lower-case words joined by dashes"
	case "code":
		return "must be 4-16 upper-case letters or digits"
	case "currency":
		return "is not a supported currency"
	case "iso3166_1_alpha2":
		return "is not a country code"
	case "e164":
		return "is not a phone number in E.164 form"
	case "uuid4":
		return "is not a UUID"
	}
	return "fails " + fe.Tag()
}
