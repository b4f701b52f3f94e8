// Command ginserver is a small HTTP service built with gin: GET /ping
// answers {"message":"pong"}. It listens on $PORT (default :8080).
package main

import (
	"log"
	"net/http"
	"os"

	"github.com/gin-gonic/gin"
)

func newRouter() *gin.Engine {
	r := gin.New()
	r.Use(gin.Recovery())
	r.GET("/ping", func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"message": "pong"})
	})
	return r
}

func main() {
	addr := os.Getenv("PORT")
	if addr == "" {
		addr = ":8080"
	}
	log.Printf("listening on %s", addr)
	if err := newRouter().Run(addr); err != nil {
		log.Fatal(err)
	}
}
