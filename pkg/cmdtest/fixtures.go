package cmdtest

import (
	"testing"

	"github.com/ldexport/ldexport/pkg/store"
)

// Destinations are two stored destinations for list/show tests, one with
// every optional field.
func Destinations() []store.Destination {
	return []store.Destination{
		{
			Name: "prod", Project: "default", Environment: "production", Region: "us-east-1",
			StreamName: "ld-events", StreamARN: "arn:aws:kinesis:us-east-1:123456789012:stream/ld-events",
			RoleARN: "arn:aws:iam::123456789012:role/ld-export", AccountID: "123456789012", CreatedAt: Clock,
		},
		{
			Name: "eu-staging", Project: "mobile", Environment: "staging", Region: "eu-west-1",
			StreamName: "ld-staging", StreamARN: "arn:aws:kinesis:eu-west-1:210987654321:stream/ld-staging",
			RoleARN: "arn:aws:iam::210987654321:role/data/ld-export", AccountID: "210987654321",
			ExternalID: "ld-mobile-staging", KMSKeyARN: "arn:aws:kms:eu-west-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab",
			EndpointURL: "http://127.0.0.1:4567", CreatedAt: Clock,
		},
	}
}

// Seed stores ds in e's store.
func (e *Env) Seed(t testing.TB, ds ...store.Destination) {
	t.Helper()
	s := store.New(e.StorePath)
	for _, d := range ds {
		if err := s.Add(d); err != nil {
			t.Fatal(err)
		}
	}
}
