// Command events writes N distinct ~400-byte LaunchDarkly-shaped events as
// NDJSON to standard output, for the send benchmarks (it is not `ldexport gen`:
// the events only need the right size and shape, not realism).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"
)

func main() {
	n := flag.Int64("n", 100000, "number of events")
	flag.Parse()
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	pad := strings.Repeat("z", 190)
	for i := int64(0); i < *n; i++ {
		fmt.Fprintf(w, `{"project":"p","environment":"production","event":{"kind":"feature","creationDate":%d,"contextKeys":{"user":"user-%d"},"key":"flag-%d","value":true,"variation":1,"version":7,"reason":{"kind":"FALLTHROUGH"},"pad":"%s"},"version":1}`+"\n",
			1764150000000+i, i%97, i%13, pad)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
