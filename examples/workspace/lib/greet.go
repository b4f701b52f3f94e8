// Package lib is a second module of the workspace, used by api.
package lib

// Greeting is what api prints.
func Greeting() string { return "hello from lib" }
