// Package auth issues and checks signed access tokens and hashes passwords.
package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"
)

// Role is what a principal may do.
type Role string

// Roles.
const (
	RoleCustomer Role = "customer"
	RoleStaff    Role = "staff"
	RoleAdmin    Role = "admin"
)

// Claims are the token's contents.
type Claims struct {
	jwt.RegisteredClaims
	Roles []Role `json:"roles"`
	Email string `json:"email,omitempty"`
}

// Has reports whether the claims carry role (admin has every role).
func (c *Claims) Has(role Role) bool {
	return slices.Contains(c.Roles, role) || slices.Contains(c.Roles, RoleAdmin)
}

// Errors.
var (
	ErrNoToken   = errors.New("no bearer token")
	ErrBadToken  = errors.New("invalid token")
	ErrForbidden = errors.New("forbidden")
)

// Issuer signs and verifies tokens with HMAC-SHA256.
type Issuer struct {
	secret []byte
	issuer string
	ttl    time.Duration
	now    func() time.Time
}

// NewIssuer returns an issuer. The secret must not be empty.
func NewIssuer(secret, issuer string, ttl time.Duration) (*Issuer, error) {
	if secret == "" {
		return nil, errors.New("auth: empty secret")
	}
	return &Issuer{secret: []byte(secret), issuer: issuer, ttl: ttl, now: time.Now}, nil
}

// Issue returns a token for subject with roles.
func (i *Issuer) Issue(subject, email string, roles ...Role) (string, time.Time, error) {
	now := i.now()
	exp := now.Add(i.ttl)
	claims := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    i.issuer,
			Subject:   subject,
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now.Add(-30 * time.Second)),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
		Roles: roles,
		Email: email,
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(i.secret)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("signing token: %w", err)
	}
	return tok, exp, nil
}

// Verify checks a token and returns its claims.
func (i *Issuer) Verify(token string) (*Claims, error) {
	claims := &Claims{}
	_, err := jwt.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return i.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(i.issuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(i.now),
	)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadToken, err)
	}
	return claims, nil
}

// FromHeader extracts the token from an Authorization header value.
func FromHeader(h string) (string, error) {
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(tok) == "" {
		return "", ErrNoToken
	}
	return strings.TrimSpace(tok), nil
}

type ctxKey struct{}

// WithClaims returns ctx carrying c.
func WithClaims(ctx context.Context, c *Claims) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// ClaimsFrom returns the claims in ctx, if any.
func ClaimsFrom(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(ctxKey{}).(*Claims)
	return c, ok
}

// Require returns ErrForbidden unless ctx carries claims with role.
func Require(ctx context.Context, role Role) error {
	c, ok := ClaimsFrom(ctx)
	if !ok {
		return ErrNoToken
	}
	if !c.Has(role) {
		return ErrForbidden
	}
	return nil
}

// HashPassword hashes a password with bcrypt.
func HashPassword(pw string) (string, error) {
	if len(pw) < 8 {
		return "", errors.New("password must be at least 8 characters")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return "", err
	}
	return string(h), nil
}

// CheckPassword reports whether pw matches hash.
func CheckPassword(hash, pw string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}
