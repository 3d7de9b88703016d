// Command hello-web is the demo's web server: it serves one directory
// and logs each request on stdout, where jinit captures it.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
)

func main() {
	addr := flag.String("addr", ":8080", "listen address")
	root := flag.String("root", "/var/www", "directory to serve")
	flag.Parse()
	host, _ := os.Hostname()
	files := http.FileServer(http.Dir(*root))
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Printf("%s %s %s\n", r.RemoteAddr, r.Method, r.URL.Path)
		w.Header().Set("X-Served-By", host)
		files.ServeHTTP(w, r)
	})
	log.Printf("listening on %s", *addr)
	log.Fatal(http.ListenAndServe(*addr, nil))
}
