package sender

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// TestLeanSignsTheBodysSHA256: the lean path computes the payload hash
// itself; the request's SigV4 signature is the one the SDK's signer gives
// for the SHA-256 of the body the server received, and for no other hash.
func TestLeanSignsTheBodysSHA256(t *testing.T) {
	c := &capture{}
	srv := httptest.NewServer(c)
	defer srv.Close()
	creds := credentials.NewStaticCredentialsProvider("AKID", "secret", "")
	client := kinesis.New(kinesis.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds}, ClientOptions(1))
	lean := NewLeanClient(client, 1)
	if _, err := lean.putRecords(context.Background(), "s", records(20)); err != nil {
		t.Fatal(err)
	}
	if len(c.reqs) != 1 {
		t.Fatalf("%d requests", len(c.reqs))
	}
	got, body := c.reqs[0], c.body[0]
	when, err := time.Parse("20060102T150405Z", got.Header.Get("X-Amz-Date"))
	if err != nil {
		t.Fatal(err)
	}
	resign := func(payloadHash string) string {
		r, _ := http.NewRequest(got.Method, srv.URL+got.URL.Path, nil)
		// Only the headers signed: net/http adds Accept-Encoding later.
		_, list, _ := strings.Cut(got.Header.Get("Authorization"), "SignedHeaders=")
		list, _, _ = strings.Cut(list, ",")
		for _, h := range strings.Split(list, ";") {
			if h != "host" && h != "content-length" {
				r.Header[http.CanonicalHeaderKey(h)] = got.Header.Values(h)
			}
		}
		r.ContentLength = int64(len(body))
		cred, _ := creds.Retrieve(context.Background())
		if err := v4.NewSigner().SignHTTP(context.Background(), cred, r, payloadHash, "kinesis", "us-east-1", when); err != nil {
			t.Fatal(err)
		}
		return r.Header.Get("Authorization")
	}
	sum := sha256.Sum256(body)
	if want := resign(hex.EncodeToString(sum[:])); got.Header.Get("Authorization") != want {
		t.Fatalf("signature\n%s\nwant (SHA-256 of the body received)\n%s", got.Header.Get("Authorization"), want)
	}
	other := sha256.Sum256(append(body, ' '))
	if resign(hex.EncodeToString(other[:])) == got.Header.Get("Authorization") {
		t.Fatal("the signature does not depend on the payload hash")
	}
}
