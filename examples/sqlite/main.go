// Command sqlite uses SQLite through cgo (github.com/mattn/go-sqlite3) yet
// ships as one static binary on scratch: gobuild links it statically.
package main

import (
	"database/sql"
	"fmt"
	"os"
	"runtime"

	_ "github.com/mattn/go-sqlite3"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "sqlite:", err)
		os.Exit(1)
	}
}

func run() error {
	db, err := sql.Open("sqlite3", "file:/tmp/example.db")
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS notes (body TEXT); INSERT INTO notes VALUES ('static'), ('cgo')`); err != nil {
		return err
	}
	var version string
	var n int
	if err := db.QueryRow(`SELECT sqlite_version(), count(*) FROM notes`).Scan(&version, &n); err != nil {
		return err
	}
	fmt.Printf("sqlite %s on %s/%s: %d notes\n", version, runtime.GOOS, runtime.GOARCH, n)
	return nil
}
