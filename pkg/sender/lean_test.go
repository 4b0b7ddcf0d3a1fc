package sender

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/ldexport/ldexport/pkg/kinesistest"
)

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	cases := []string{
		"", "plain", `quote " and \ backslash`, "tab\tnew\nline\rcr", "\x00\x01\x1f\x7f",
		"ü é 日本", "<html>&amp;", "line\u2028sep\u2029", "bad \xff utf-8 \xc3", "emoji 😀",
		strings.Repeat("k", 256),
	}
	for c := range 256 { // every byte value, alone and inside ASCII
		cases = append(cases, string([]byte{byte(c)}), "ab"+string([]byte{byte(c)})+"cd")
		// at every place of the eight-byte words jsonPlainPrefix reads,
		// and with a second special byte after it
		for at := range 18 {
			b := []byte("0123456789abcdef01")
			b[at] = byte(c)
			cases = append(cases, string(b), string(b)+"\\x")
		}
	}
	for _, s := range cases {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if n := jsonPlainPrefix(s); n > len(s) || strings.IndexFunc(s[:n], func(r rune) bool { return r < 0x20 || r == '"' || r == '\\' || r >= 0x80 }) >= 0 ||
			n < len(s) && jsonPlain[s[n]] {
			t.Errorf("jsonPlainPrefix(%q) = %d", s, n)
		}
		if got := appendJSONString(nil, s); string(got) != strings.TrimSuffix(want.String(), "\n") {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want.String())
		}
	}
}

// capture answers PutRecords with success for every record and keeps each
// request's headers and body.
type capture struct {
	mu   sync.Mutex
	reqs []*http.Request
	body [][]byte
}

func (c *capture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var in struct{ Records []json.RawMessage }
	_ = json.Unmarshal(b, &in)
	c.mu.Lock()
	c.reqs, c.body = append(c.reqs, r), append(c.body, b)
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	out := `{"FailedRecordCount":0,"Records":[`
	for i := range in.Records {
		if i > 0 {
			out += ","
		}
		out += `{"SequenceNumber":"1","ShardId":"shardId-000000000000"}`
	}
	fmt.Fprint(w, out+`]}`)
}

// The lean path sends what the SDK's serializer sends: same method, path,
// target, content type and length, a SigV4 signature over the body's
// SHA-256, and a body that decodes to the same request.
func TestLeanRequestMatchesTheSDKs(t *testing.T) {
	c := &capture{}
	srv := httptest.NewServer(c)
	defer srv.Close()
	client := kinesis.New(kinesis.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
	}, ClientOptions(2))
	batch := []*Record{
		{Data: []byte(`{"a":1}`), Key: "k1"},
		{Data: []byte{0, 1, 2, 0xff, '\n'}, Key: `quote"d ü`, hashKey: "12345"},
		{Data: []byte{}, Key: "empty"},
	}
	lean := NewLeanClient(client, 2)
	if _, err := lean.putRecords(context.Background(), "my-stream", batch); err != nil {
		t.Fatal(err)
	}
	s := &Sender{api: client, cfg: Config{StreamName: "my-stream"}}
	if _, err := s.putRecords(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	if len(c.reqs) != 2 {
		t.Fatalf("%d requests", len(c.reqs))
	}
	l, k := c.reqs[0], c.reqs[1]
	for _, h := range []string{"X-Amz-Target", "Content-Type", "Content-Length"} {
		if l.Header.Get(h) != k.Header.Get(h) || l.Header.Get(h) == "" {
			t.Errorf("%s: lean %q, SDK %q", h, l.Header.Get(h), k.Header.Get(h))
		}
	}
	if l.Method != k.Method || l.URL.Path != k.URL.Path {
		t.Errorf("lean %s %s, SDK %s %s", l.Method, l.URL.Path, k.Method, k.URL.Path)
	}
	if !strings.HasPrefix(l.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AKID/") || l.Header.Get("X-Amz-Content-Sha256") != "" && len(l.Header.Get("X-Amz-Content-Sha256")) != 64 {
		t.Errorf("lean request not signed with SigV4: %q", l.Header.Get("Authorization"))
	}
	var lb, kb any
	if err := json.Unmarshal(c.body[0], &lb); err != nil {
		t.Fatalf("lean body is not JSON: %v\n%s", err, c.body[0])
	}
	if err := json.Unmarshal(c.body[1], &kb); err != nil {
		t.Fatal(err)
	}
	lj, _ := json.Marshal(lb)
	kj, _ := json.Marshal(kb)
	if !bytes.Equal(lj, kj) {
		t.Errorf("bodies differ:\nlean %s\nSDK  %s", c.body[0], c.body[1])
	}
}

// Through a Sender, against the fake Kinesis that checks bodies like
// Kinesis: every record arrives byte for byte, and bodies are reused from a
// bounded pool.
func TestLeanSenderDeliversEverything(t *testing.T) {
	for _, aggregate := range []bool{false, true} {
		t.Run(fmt.Sprintf("aggregate=%v", aggregate), func(t *testing.T) {
			srv := kinesistest.NewServer(kinesistest.Options{Faults: kinesistest.Faults{RecordFailure: 0.05, LostResponse: 0.05}, Seed: 4})
			defer srv.Close()
			if err := srv.CreateStream("s", 2); err != nil {
				t.Fatal(err)
			}
			lean := NewLeanClient(srv.NewClient(ClientOptions(4)), 4)
			rs := eventRecords(5000, 40, 9)
			batch := 50 // many requests, so many draws of each fault
			if aggregate {
				batch = 2
			}
			r := send(t, context.Background(), lean, Config{StreamName: "s", Concurrency: 4, Aggregate: aggregate, MaxBatchRecords: batch}, rs)
			if r.err != nil || r.stats.Sent != 5000 {
				t.Fatalf("err %v stats %+v", r.err, r.stats)
			}
			users, _ := storedUsers(t, srv, nil)
			atLeastOnce(t, rs, users, r.stats.PossibleDuplicates)
			if srv.Stats().Faults.LostResponses == 0 {
				t.Fatal("no lost response injected")
			}
			if n := len(lean.free); n == 0 || n > cap(lean.free) {
				t.Fatalf("%d bodies pooled (capacity %d): buffers are not reused", n, cap(lean.free))
			}
		})
	}
}

// Answers read on the lean path: per-record failures, error responses (with
// the SDK's error codes), and an unreadable 200 (a lost response).
func TestLeanReadsAnswers(t *testing.T) {
	answers := []struct {
		status int
		body   string
	}{
		{200, `{"FailedRecordCount":1,"Records":[{"SequenceNumber":"1","ShardId":"shardId-000000000001"},{"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"slow down"},{"SequenceNumber":"2","ShardId":"shardId-000000000001"}]}`},
		{400, `{"__type":"ResourceNotFoundException","message":"Stream s not found"}`},
		{200, `{"Records":[{"Sequ`},
	}
	srv := kinesistest.NewServer(kinesistest.Options{Script: func(c *kinesistest.Call) kinesistest.Reply {
		a := answers[c.N]
		return kinesistest.Reply{Status: a.status, Body: []byte(a.body)}
	}})
	defer srv.Close()
	if err := srv.CreateStream("s", 1); err != nil {
		t.Fatal(err)
	}
	lean := NewLeanClient(srv.NewClient(ClientOptions(1)), 1)
	batch := records(3)

	out, err := lean.putRecords(context.Background(), "s", batch)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := answerText(out), `failed 1; {<nil> <nil> "1" "shardId-000000000001"} {"ProvisionedThroughputExceededException" "slow down" <nil> <nil>} {<nil> <nil> "2" "shardId-000000000001"}`; got != want {
		t.Fatalf("answer read as %s, want %s", got, want)
	}
	out.release()

	_, err = lean.putRecords(context.Background(), "s", batch)
	if kind, reason := classify(err); kind != failFatal || !strings.HasPrefix(reason, "ResourceNotFoundException: Stream s not found") {
		t.Fatalf("error answer: %v classified %v %q", err, kind, reason)
	}

	_, err = lean.putRecords(context.Background(), "s", batch)
	if kind, _ := classify(err); err == nil || kind != failLost {
		t.Fatalf("unreadable 200: %v classified %v, want a lost response", err, kind)
	}
}
