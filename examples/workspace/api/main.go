// Command api is a module in a subdirectory of a go.work workspace: it
// imports the workspace's other module and needs the time zone database
// its distroless base brings.
package main

import (
	"fmt"
	"os"
	"time"

	"example.com/workspace/lib"
)

func main() {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		fmt.Fprintln(os.Stderr, "api:", err)
		os.Exit(1)
	}
	t := time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC).In(loc)
	fmt.Printf("api: %s; Europe/Paris is UTC%s; uid %d\n", lib.Greeting(), t.Format("-07:00"), os.Getuid())
}
