// Command sink is a minimal fake Kinesis endpoint for benchmarks: it accepts
// every PutRecords (JSON 1.1, as the AWS SDK for Go v2 speaks it), answers
// each record with success, and counts what it received. GET /stats returns
// {"requests":N,"records":N,"bytes":N}; POST /reset zeroes the counters.
//
// It does not decode the records: it counts the "PartitionKey" members of the
// request body (base64 data cannot contain that string), so that the sink
// costs as little CPU as possible next to the sender it measures. With
// -verify it decodes every request and checks each record's data is a JSON
// object.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
)

var (
	requests, records, bodyBytes atomic.Int64
	verify                       bool
	bufPool                      = sync.Pool{New: func() any { return new(bytes.Buffer) }}
)

const okEntry = `{"SequenceNumber":"49590338271490256608559692538361571095921575989136588898","ShardId":"shardId-000000000000"}`

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.BoolVar(&verify, "verify", false, "decode every record and check it is a JSON object")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("ready http://%s\n", ln.Addr())
	http.HandleFunc("/stats", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"requests":%d,"records":%d,"bytes":%d}`+"\n", requests.Load(), records.Load(), bodyBytes.Load())
	})
	http.HandleFunc("/reset", func(w http.ResponseWriter, r *http.Request) {
		requests.Store(0)
		records.Store(0)
		bodyBytes.Store(0)
	})
	http.HandleFunc("/", kinesis)
	log.Fatal(http.Serve(ln, nil))
}

func kinesis(w http.ResponseWriter, r *http.Request) {
	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	buf.Reset()
	if _, err := io.Copy(buf, r.Body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "Kinesis_20131202.")
	switch op {
	case "PutRecords":
	case "DescribeStreamSummary":
		fmt.Fprint(w, `{"StreamDescriptionSummary":{"StreamName":"sink","StreamARN":"arn:aws:kinesis:us-east-1:000000000000:stream/sink","StreamStatus":"ACTIVE","OpenShardCount":1,"RetentionPeriodHours":24,"StreamCreationTimestamp":1764150000,"EnhancedMonitoring":[],"EncryptionType":"NONE"}}`)
		return
	default:
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"__type":"UnknownOperationException","message":"sink: %s"}`, op)
		return
	}
	body := buf.Bytes()
	n := bytes.Count(body, []byte(`"PartitionKey":`))
	if verify {
		var in struct{ Records []struct{ Data []byte } }
		if err := json.Unmarshal(body, &in); err != nil || len(in.Records) != n {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"__type":"SerializationException","message":"sink: cannot decode request"}`)
			return
		}
		for _, rec := range in.Records {
			if !json.Valid(rec.Data) || len(rec.Data) == 0 || rec.Data[0] != '{' {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprintf(w, `{"__type":"ValidationException","message":"sink: record is not a JSON object"}`)
				return
			}
		}
	}
	requests.Add(1)
	records.Add(int64(n))
	bodyBytes.Add(int64(len(body)))
	out := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(out)
	out.Reset()
	out.WriteString(`{"FailedRecordCount":0,"Records":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			out.WriteByte(',')
		}
		out.WriteString(okEntry)
	}
	out.WriteString("]}")
	w.Write(out.Bytes())
}
