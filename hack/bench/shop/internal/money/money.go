// Package money does exact decimal arithmetic on amounts of a currency.
package money

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/shopspring/decimal"
)

// Currency is an ISO 4217 code with the number of minor units it uses.
type Currency struct {
	Code  string
	Minor int32
}

var currencies = map[string]Currency{
	"EUR": {"EUR", 2}, "USD": {"USD", 2}, "GBP": {"GBP", 2}, "CHF": {"CHF", 2},
	"JPY": {"JPY", 0}, "SEK": {"SEK", 2}, "NOK": {"NOK", 2}, "DKK": {"DKK", 2},
	"PLN": {"PLN", 2}, "CZK": {"CZK", 2}, "KWD": {"KWD", 3}, "BHD": {"BHD", 3},
}

// Errors returned by this package.
var (
	ErrCurrency = errors.New("unknown currency")
	ErrMismatch = errors.New("currencies differ")
	ErrNegative = errors.New("amount is negative")
)

// Lookup returns the currency with the code (case-insensitive).
func Lookup(code string) (Currency, error) {
	c, ok := currencies[strings.ToUpper(code)]
	if !ok {
		return Currency{}, fmt.Errorf("%w: %q", ErrCurrency, code)
	}
	return c, nil
}

// Known reports whether code is a supported currency.
func Known(code string) bool {
	_, ok := currencies[strings.ToUpper(code)]
	return ok
}

// Money is an amount in a currency.
type Money struct {
	Amount   decimal.Decimal `json:"amount"`
	Currency string          `json:"currency"`
}

// New parses amount ("12.50") in currency.
func New(amount, currency string) (Money, error) {
	c, err := Lookup(currency)
	if err != nil {
		return Money{}, err
	}
	d, err := decimal.NewFromString(amount)
	if err != nil {
		return Money{}, fmt.Errorf("amount %q: %w", amount, err)
	}
	return Money{Amount: d.Round(c.Minor), Currency: c.Code}, nil
}

// FromMinor makes an amount from minor units (cents).
func FromMinor(units int64, currency string) (Money, error) {
	c, err := Lookup(currency)
	if err != nil {
		return Money{}, err
	}
	return Money{Amount: decimal.New(units, -c.Minor), Currency: c.Code}, nil
}

// Zero returns nothing in currency.
func Zero(currency string) Money {
	return Money{Amount: decimal.Zero, Currency: strings.ToUpper(currency)}
}

// IsZero reports whether the amount is zero.
func (m Money) IsZero() bool { return m.Amount.IsZero() }

// IsNegative reports whether the amount is below zero.
func (m Money) IsNegative() bool { return m.Amount.IsNegative() }

// Add returns m + o.
func (m Money) Add(o Money) (Money, error) {
	if m.Currency != o.Currency {
		return Money{}, fmt.Errorf("%w: %s and %s", ErrMismatch, m.Currency, o.Currency)
	}
	return Money{Amount: m.Amount.Add(o.Amount), Currency: m.Currency}, nil
}

// Sub returns m - o.
func (m Money) Sub(o Money) (Money, error) {
	if m.Currency != o.Currency {
		return Money{}, fmt.Errorf("%w: %s and %s", ErrMismatch, m.Currency, o.Currency)
	}
	return Money{Amount: m.Amount.Sub(o.Amount), Currency: m.Currency}, nil
}

// Mul returns m times a quantity, rounded to the currency's minor unit.
func (m Money) Mul(qty int64) Money {
	return m.round(m.Amount.Mul(decimal.NewFromInt(qty)))
}

// Percent returns p percent of m (p may be fractional, "7.5"), rounded half
// away from zero.
func (m Money) Percent(p decimal.Decimal) Money {
	return m.round(m.Amount.Mul(p).Div(decimal.NewFromInt(100)))
}

// Allocate splits m into parts proportional to weights without losing a
// minor unit: the remainder goes to the first parts.
func (m Money) Allocate(weights ...int64) ([]Money, error) {
	if len(weights) == 0 {
		return nil, errors.New("allocate: no weights")
	}
	var total int64
	for _, w := range weights {
		if w < 0 {
			return nil, ErrNegative
		}
		total += w
	}
	if total == 0 {
		return nil, errors.New("allocate: weights sum to zero")
	}
	c, err := Lookup(m.Currency)
	if err != nil {
		return nil, err
	}
	units := m.Amount.Shift(c.Minor).IntPart()
	out := make([]Money, len(weights))
	var given int64
	for i, w := range weights {
		share := units * w / total
		given += share
		out[i] = Money{Amount: decimal.New(share, -c.Minor), Currency: m.Currency}
	}
	one := decimal.New(1, -c.Minor)
	for i := 0; given < units; i = (i + 1) % len(out) {
		out[i].Amount = out[i].Amount.Add(one)
		given++
	}
	return out, nil
}

func (m Money) round(d decimal.Decimal) Money {
	c, err := Lookup(m.Currency)
	if err != nil {
		c.Minor = 2
	}
	return Money{Amount: d.Round(c.Minor), Currency: m.Currency}
}

// Cmp compares two amounts of the same currency.
func (m Money) Cmp(o Money) (int, error) {
	if m.Currency != o.Currency {
		return 0, ErrMismatch
	}
	return m.Amount.Cmp(o.Amount), nil
}

// String formats the amount with its currency, "1,234.50 EUR".
func (m Money) String() string {
	c, err := Lookup(m.Currency)
	if err != nil {
		return m.Amount.String() + " " + m.Currency
	}
	whole := m.Amount.Truncate(0)
	frac := m.Amount.Sub(whole).Abs().StringFixed(c.Minor)
	s := humanize.Comma(whole.IntPart())
	if m.Amount.IsNegative() && whole.IsZero() {
		s = "-" + s
	}
	if c.Minor > 0 {
		s += strings.TrimPrefix(frac, "0")
	}
	return s + " " + m.Currency
}

// MarshalJSON writes the amount as a string, so no precision is lost.
func (m Money) MarshalJSON() ([]byte, error) {
	c, err := Lookup(m.Currency)
	if err != nil {
		return nil, err
	}
	return json.Marshal(struct {
		Amount   string `json:"amount"`
		Currency string `json:"currency"`
	}{m.Amount.StringFixed(c.Minor), m.Currency})
}

// UnmarshalJSON reads {"amount":"12.50","currency":"EUR"}.
func (m *Money) UnmarshalJSON(b []byte) error {
	var v struct {
		Amount   decimal.Decimal `json:"amount"`
		Currency string          `json:"currency"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	c, err := Lookup(v.Currency)
	if err != nil {
		return err
	}
	*m = Money{Amount: v.Amount.Round(c.Minor), Currency: c.Code}
	return nil
}

// Sum adds amounts of one currency; an empty list is zero in currency.
func Sum(currency string, ms ...Money) (Money, error) {
	total := Zero(currency)
	for _, m := range ms {
		var err error
		if total, err = total.Add(m); err != nil {
			return Money{}, err
		}
	}
	return total, nil
}
