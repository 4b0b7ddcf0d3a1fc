package ndjson

import (
	"bytes"
	stdgzip "compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/valyala/fastjson"
	"io"
	"strings"
	"testing"

	kgzip "github.com/klauspost/compress/gzip"
)

// benchInput is n ~400-byte exported events, one a line.
func benchInput(n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `{"project":"p","environment":"production","event":{"kind":"feature","creationDate":%d,"contextKeys":{"user":"user-%d"},"key":"flag-%d","value":true,"variation":1,"version":7,"reason":{"kind":"FALLTHROUGH"},"pad":"%s"},"version":1}`+"\n",
			1764150000000+int64(i), i%97, i%13, strings.Repeat("z", 190))
	}
	return b.Bytes()
}

func drain(b *testing.B, r *Reader) int {
	n := 0
	for {
		l, err := r.Next()
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
		n += len(l.Data)
	}
}

func BenchmarkReader(b *testing.B) {
	in := benchInput(20000)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(in), "bench", 0)
		if err != nil {
			b.Fatal(err)
		}
		drain(b, r)
	}
}

func BenchmarkReaderGzip(b *testing.B) {
	in := benchInput(20000)
	var z bytes.Buffer
	w := stdgzip.NewWriter(&z)
	w.Write(in)
	w.Close()
	b.SetBytes(int64(len(in))) // uncompressed bytes per second
	b.ReportAllocs()
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(z.Bytes()), "bench", 0)
		if err != nil {
			b.Fatal(err)
		}
		drain(b, r)
	}
}

// BenchmarkGunzip compares the standard library's gzip reader with
// klauspost/compress's, which the Reader uses.
func BenchmarkGunzip(b *testing.B) {
	in := benchInput(20000)
	var z bytes.Buffer
	w := stdgzip.NewWriter(&z)
	w.Write(in)
	w.Close()
	b.Run("compress/gzip", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			r, _ := stdgzip.NewReader(bytes.NewReader(z.Bytes()))
			io.Copy(io.Discard, r)
		}
	})
	b.Run("klauspost/compress/gzip", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			r, _ := kgzip.NewReader(bytes.NewReader(z.Bytes()))
			io.Copy(io.Discard, r)
		}
	})
}

func BenchmarkValidateObject(b *testing.B) {
	in := benchInput(1000)
	lines := bytes.Split(bytes.TrimSuffix(in, []byte("\n")), []byte("\n"))
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		for _, l := range lines {
			if err := ValidateObject(l); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkValidators compares encoding/json.Valid, valyala/fastjson's
// ValidateBytes, the check ValidateObject used before issue 13 (fastjson,
// and encoding/json for lines with a control byte) and validObject, on the
// bench/events lines and on mixedInput. (validObject's first one-pass
// version, against which bench/README.md measures this one, is in git at
// 06b7283.)
func BenchmarkValidators(b *testing.B) {
	valid := []struct {
		name  string
		valid func([]byte) bool
	}{
		{"encoding/json.Valid", json.Valid},
		{"validObject", validObject},
		{"previous (fastjson.ValidateBytes and hasControl)", previousValidObject},
		{"fastjson.ValidateBytes", func(l []byte) bool { return fastjson.ValidateBytes(l) == nil }},
	}
	for _, in := range []struct {
		name string
		data []byte
	}{{"events", benchInput(1000)}, {"mixed", mixedInput(1000)}} {
		lines := bytes.Split(bytes.TrimSuffix(in.data, []byte("\n")), []byte("\n"))
		for _, v := range valid {
			b.Run(in.name+"/"+v.name, func(b *testing.B) {
				b.SetBytes(int64(len(in.data)))
				for b.Loop() {
					for _, l := range lines {
						if !v.valid(l) {
							b.Fatalf("invalid: %s", l)
						}
					}
				}
			})
		}
	}
}

// mixedInput is n exported events of several LaunchDarkly kinds (feature,
// custom, identify with a multi-kind context, summary), one a line: many
// short strings, numbers and nested objects, no white space between tokens.
func mixedInput(n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		b.WriteString(`{"project":"default","environment":"production","event":`)
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, `{"kind":"feature","creationDate":%d,"contextKeys":{"user":"user-%d","org":"org-%d"},"key":"new-checkout-flow","value":"treatment-b","variation":2,"version":%d,"default":"control","prereqOf":null,"reason":{"kind":"RULE_MATCH","ruleIndex":0,"ruleId":"a1b2c3d4-e5f6-4711-8899-aabbccddeeff","inExperiment":true},"samplingRatio":1}`,
				1764150000000+int64(i), i%997, i%31, 40+i%7)
		case 1:
			fmt.Fprintf(&b, `{"kind":"custom","creationDate":%d,"key":"checkout-completed","contextKeys":{"user":"user-%d"},"data":{"cart":{"items":[{"sku":"SKU-%d","qty":%d,"price":19.99},{"sku":"SKU-77","qty":1,"price":5.5}],"currency":"EUR"},"coupon":null,"firstPurchase":false},"metricValue":%d.25}`,
				1764150000000+int64(i), i%997, i%500, 1+i%3, 20+i%80)
		case 2:
			fmt.Fprintf(&b, `{"kind":"identify","creationDate":%d,"context":{"kind":"multi","user":{"key":"user-%d","name":"Jane Q. Public","email":"jane.%d@example.com","country":"DE","age":%d,"beta":true,"groups":["admins","beta-testers"],"_meta":{"privateAttributes":["email"]}},"org":{"key":"org-%d","name":"Example GmbH","plan":"enterprise","seats":250}}}`,
				1764150000000+int64(i), i%997, i%997, 18+i%60, i%31)
		case 3:
			fmt.Fprintf(&b, `{"kind":"summary","startDate":%d,"endDate":%d,"features":{"new-checkout-flow":{"default":"control","contextKinds":["user","org"],"counters":[{"variation":0,"version":44,"value":"control","count":%d},{"variation":2,"version":44,"value":"treatment-b","count":17}]},"dark-mode":{"default":false,"contextKinds":["user"],"counters":[{"variation":1,"version":3,"value":true,"count":%d},{"unknown":true,"value":false,"count":2}]}}}`,
				1764150000000+int64(i), 1764150060000+int64(i), 100+i%900, i%50)
		}
		b.WriteString(`,"version":1}` + "\n")
	}
	return b.Bytes()
}
