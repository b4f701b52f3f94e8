// Command hello is the smallest gobuild example: it reports where it runs,
// as whom, and whether it can verify TLS certificates.
package main

import (
	"crypto/x509"
	"fmt"
	"os"
	"runtime"
)

func main() {
	certs := "no CA bundle"
	if pool, err := x509.SystemCertPool(); err == nil && !pool.Equal(x509.NewCertPool()) {
		certs = "CA bundle loaded"
	}
	fmt.Printf("hello from gobuild: %s/%s, uid %d, gid %d, %s\n", runtime.GOOS, runtime.GOARCH, os.Getuid(), os.Getgid(), certs)
}
