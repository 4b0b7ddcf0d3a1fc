// Package test implements `ldexport dest test`: put the test event that
// LaunchDarkly's "Send test event" button sends, and optionally read it back.
package test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/ldexport/ldexport/pkg/awserr"
	"github.com/ldexport/ldexport/pkg/cmd/dest/shared"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/eventgen"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/kpl"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/ldexport/ldexport/pkg/store"
	"github.com/ldexport/ldexport/pkg/streamread"
	"github.com/spf13/cobra"
)

// TestEventKey is the flag key and context key of LaunchDarkly's test event.
const TestEventKey = "LaunchDarklyDataExportTestEvent"

// TestOptions are the dependencies and flag values of `dest test`.
type TestOptions struct {
	IO      *iostreams.IOStreams
	Store   func() (*store.Store, error)
	Kinesis func(ctx context.Context, region, endpointURL string) (*kinesis.Client, error)
	STS     func(ctx context.Context, region string) (*sts.Client, error)
	Now     func() time.Time
	// Output and EndpointURL are the global -o and --endpoint-url.
	Output      output.Format
	EndpointURL string

	Name       string
	Verify     bool
	Timeout    time.Duration
	AssumeRole bool
	// AllowRealAWS lets --assume-role call real AWS STS for a destination
	// whose Kinesis endpoint is a local emulator.
	AllowRealAWS bool

	// Sleep is the pause between reads while verifying (tests may replace it).
	Sleep func(context.Context, time.Duration) error
}

// Result is what `dest test` prints with -o json/yaml.
type Result struct {
	Destination    string `json:"destination"`
	Stream         string `json:"stream"`
	ShardID        string `json:"shardId"`
	SequenceNumber string `json:"sequenceNumber"`
	PartitionKey   string `json:"partitionKey"`
	TestID         string `json:"testId"`
	AssumedRole    bool   `json:"assumedRole"`
	Verified       bool   `json:"verified"`
}

// NewCmdTest returns `dest test NAME`; runF replaces testRun in tests.
func NewCmdTest(f *cmdutil.Factory, runF func(context.Context, *TestOptions) error) *cobra.Command {
	opts := &TestOptions{}
	cmd := &cobra.Command{
		Use:   "test NAME [--verify] [--timeout 30s] [--assume-role]",
		Short: "Put LaunchDarkly's test event into the destination's stream",
		Long: `Put one test event into the destination's stream, as LaunchDarkly's "Send test
event" button does: an exported-event wrapper holding a feature event whose flag
key and context key are LaunchDarklyDataExportTestEvent, with a random partition
key and a random ldexportTestId that identifies this one record.

Prints the shard ID and sequence number. --verify reads that record back and
fails unless it arrived byte for byte (a KPL aggregated record read back is
deaggregated, its MD5 checked, and the event looked for among its user
records). --assume-role first assumes the
destination's role (STS AssumeRole, with its external ID) and sends with it,
as LaunchDarkly does; that only works when the role trusts you. --verify still
reads back with your own credentials (the role may only put records).

For a destination on a local emulator, --assume-role refuses to call real AWS
STS unless AWS_ENDPOINT_URL_STS (or AWS_ENDPOINT_URL) points at the emulator's
STS, or --allow-real-aws is given.`,
		Example: `  ldexport dest test prod --verify
  ldexport dest test prod --assume-role -o json`,
		Args:              cmdutil.ExactArgs(1, "name the destination: ldexport dest test NAME"),
		ValidArgsFunction: cmdutil.CompleteDestinationNames(f.Store),
		RunE:              cmdutil.RunE(f, opts, runF, testRun),
	}
	cmd.Flags().BoolVar(&opts.Verify, "verify", false, "read the record back and fail unless it arrived intact")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 30*time.Second, "how long the whole test may take: the put, and --verify's read-back, e.g. 30s, 2m")
	cmd.Flags().BoolVar(&opts.AssumeRole, "assume-role", false, "send with the destination's role (STS AssumeRole with its external ID)")
	cmd.Flags().BoolVar(&opts.AllowRealAWS, "allow-real-aws", false, "let --assume-role call real AWS STS although Kinesis is a local emulator")
	return cmd
}

// Complete takes the name, the globals and what test uses from f.
func (o *TestOptions) Complete(f *cmdutil.Factory, _ *cobra.Command, args []string) error {
	o.IO, o.Store, o.Kinesis, o.STS, o.Now = f.IOStreams, f.Store, f.Kinesis, f.STS, f.Now
	o.Output, o.EndpointURL = f.Globals.Output, f.Globals.EndpointURL
	o.Name = args[0]
	return nil
}

// Validate checks the name's form and --timeout.
func (o *TestOptions) Validate() error {
	if err := shared.ValidateName(o.Name); err != nil {
		return err
	}
	return cmdutil.ValidateTimeout(o.Timeout)
}

// testEvent is the exported-event wrapper; field order is LaunchDarkly's.
type testEvent struct {
	Project     string       `json:"project"`
	Environment string       `json:"environment"`
	Event       featureEvent `json:"event"`
	Version     int          `json:"version"`
}

type featureEvent struct {
	Kind         string            `json:"kind"`
	CreationDate int64             `json:"creationDate"`
	ContextKeys  map[string]string `json:"contextKeys"`
	Context      eventContext      `json:"context"`
	Key          string            `json:"key"`
	Value        bool              `json:"value"`
	Default      bool              `json:"default"`
	Version      int               `json:"version"`
	Variation    int               `json:"variation"`
	TestID       string            `json:"ldexportTestId"`
}

type eventContext struct {
	Kind string `json:"kind"`
	Key  string `json:"key"`
}

// BuildTestEvent returns the test event record for a destination: one JSON
// object, no trailing newline. Like LaunchDarkly's, it carries project and
// environment IDs: derived from the destination's keys (eventgen.ExportIDs).
func BuildTestEvent(d store.Destination, now time.Time, testID string) ([]byte, error) {
	project, env, _ := eventgen.ExportIDs(d.Project, d.Environment)
	return json.Marshal(testEvent{
		Project:     project,
		Environment: env,
		Event: featureEvent{
			Kind:         "feature",
			CreationDate: now.UnixMilli(),
			ContextKeys:  map[string]string{"user": TestEventKey},
			Context:      eventContext{Kind: "user", Key: TestEventKey},
			Key:          TestEventKey,
			Value:        true,
			Default:      false,
			Version:      1,
			Variation:    0,
			TestID:       testID,
		},
		Version: 1,
	})
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

func testRun(ctx context.Context, opts *TestOptions) error {
	t, err := shared.Resolve(opts.Store, opts.EndpointURL, opts.Name, "")
	if err != nil {
		return err
	}
	d := t.Destination
	// --timeout bounds the whole test: assuming the role, the put and the
	// read-back, connecting and waiting included.
	ctx, cancel := awserr.WithDeadline(ctx, opts.Timeout, "--timeout")
	defer cancel()
	// The caller's client reads the record back: a role made by iam apply may
	// only put records.
	reader, err := opts.Kinesis(ctx, t.Region, t.Endpoint)
	if err != nil {
		return err
	}
	client := reader
	op := awserr.Op{Service: "Kinesis", Call: "PutRecord", Resource: fmt.Sprintf("stream %q", d.StreamName), Region: d.Region,
		Endpoint: aws.ToString(client.Options().BaseEndpoint), Permission: "kinesis:PutRecord", DeadlineFlag: "--timeout"}
	if opts.AssumeRole {
		if client, err = withRole(ctx, opts, d, reader); err != nil {
			return err
		}
	}

	res := Result{Destination: d.Name, Stream: d.StreamName, PartitionKey: randomHex(16), TestID: randomHex(16), AssumedRole: opts.AssumeRole}
	data, err := BuildTestEvent(d, opts.Now(), res.TestID)
	if err != nil {
		return err
	}
	put, err := client.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String(d.StreamName), PartitionKey: aws.String(res.PartitionKey), Data: data})
	if err != nil {
		return fmt.Errorf("dest test %s: %w", d.Name, awserr.Explain(ctx, err, op))
	}
	res.ShardID, res.SequenceNumber = aws.ToString(put.ShardId), aws.ToString(put.SequenceNumber)
	if res.ShardID == "" || res.SequenceNumber == "" {
		// Success needs proof: Kinesis names where it stored a record.
		return cmdutil.RuntimeErrorf("dest test %s: %s answered without a shard ID and sequence number: the test event is not known to be stored; fix: check that the endpoint is Kinesis (--endpoint-url)", d.Name, op.Head())
	}

	var verifyErr error
	if opts.Verify {
		rec, err := streamread.Find(ctx, reader, d.StreamName, res.ShardID, res.SequenceNumber, opts.Sleep)
		read := op // the call (GetShardIterator, GetRecords) is named from the SDK's error
		read.Call, read.Permission = "", ""
		switch ce := awserr.ContextErr(ctx, read); {
		case ce != nil && ce.Kind == awserr.Canceled:
			return ce
		case ce != nil && err != nil:
			verifyErr = cmdutil.RuntimeErrorf("dest test %s: the test event was not read back from %s within --timeout %s: %v", d.Name, res.ShardID, opts.Timeout, awserr.Short(err))
		case errors.Is(err, streamread.ErrNotFound):
			verifyErr = cmdutil.RuntimeErrorf("dest test %s: %v", d.Name, err)
		case err != nil:
			verifyErr = fmt.Errorf("dest test %s: read the test event back: %w", d.Name, awserr.Explain(ctx, err, read))
		case kpl.IsAggregated(rec.Data):
			if problem := findInAggregate(rec.Data, data); problem != "" {
				verifyErr = cmdutil.RuntimeErrorf("dest test %s: the record read back at %s in %s %s", d.Name, res.SequenceNumber, res.ShardID, problem)
			} else {
				res.Verified = true
			}
		case !bytes.Equal(rec.Data, data):
			verifyErr = cmdutil.RuntimeErrorf("dest test %s: the record read back at %s in %s differs from the test event sent (%d bytes read, %d sent)", d.Name, res.SequenceNumber, res.ShardID, len(rec.Data), len(data))
		case rec.PartitionKey != res.PartitionKey:
			verifyErr = cmdutil.RuntimeErrorf("dest test %s: the record read back at %s in %s has partition key %q, sent %q", d.Name, res.SequenceNumber, res.ShardID, rec.PartitionKey, res.PartitionKey)
		default:
			res.Verified = true
		}
	}
	if err := printResult(opts, res); err != nil {
		return err
	}
	// Said only on success: a failure is one line on stderr.
	if _, _, note := eventgen.ExportIDs(d.Project, d.Environment); note != "" && verifyErr == nil && opts.Output == output.Table {
		fmt.Fprintln(opts.IO.ErrOut, note)
	}
	return verifyErr
}

// findInAggregate looks for the test event among the user records of a KPL
// aggregated record (a producer that aggregates wrote it) and says what is
// wrong when it is not there ("" when it is).
func findInAggregate(agg, event []byte) string {
	users, err := kpl.Deaggregate(agg)
	if err != nil {
		return "is a " + err.Error()
	}
	for _, u := range users {
		if bytes.Equal(u.Data, event) {
			return ""
		}
	}
	return fmt.Sprintf("is a KPL aggregated record of %d user records, none of them the test event sent", len(users))
}

func printResult(opts *TestOptions, res Result) error {
	return output.Write(opts.IO, opts.Output, res, func() error {
		w := opts.IO.Out
		how := "your credentials"
		if res.AssumedRole {
			how = "the destination's role"
		}
		fmt.Fprintf(w, "Sent the test event to stream %s (destination %s) with %s.\n", res.Stream, res.Destination, how)
		t := output.NewTablePrinter(opts.IO, "FIELD", "VALUE")
		t.AddRow("shardId", res.ShardID)
		t.AddRow("sequenceNumber", res.SequenceNumber)
		t.AddRow("partitionKey", res.PartitionKey)
		t.AddRow("testId", res.TestID)
		if err := t.Render(); err != nil {
			return err
		}
		if opts.Verify && res.Verified {
			fmt.Fprintf(w, "Verified: the record at that sequence number was read back byte for byte.\n")
		}
		return nil
	})
}

// withRole returns a Kinesis client that signs with credentials of the
// destination's role.
func withRole(ctx context.Context, opts *TestOptions, d store.Destination, client *kinesis.Client) (*kinesis.Client, error) {
	stsClient, err := opts.STS(ctx, d.Region)
	if err != nil {
		return nil, err
	}
	if err := cmdutil.RefuseRealAWS("--assume-role", opts.AllowRealAWS, cmdutil.KinesisEndpoint(client), cmdutil.STSEndpoint(stsClient)); err != nil {
		return nil, err
	}
	in := &sts.AssumeRoleInput{RoleArn: aws.String(d.RoleARN), RoleSessionName: aws.String("ldexport-dest-test"), DurationSeconds: aws.Int32(900)}
	if d.ExternalID != "" {
		in.ExternalId = aws.String(d.ExternalID)
	}
	out, err := stsClient.AssumeRole(ctx, in)
	if err != nil {
		if awserr.IsAccessDenied(err) && ctx.Err() == nil {
			return nil, cmdutil.RuntimeErrorf("--assume-role: role %s does not let you assume it (AccessDenied): its trust policy names LaunchDarkly's account, not you. Add your principal to the trust policy for the test, or run `ldexport dest test %s` without --assume-role to test the stream with your own credentials", d.RoleARN, d.Name)
		}
		return nil, fmt.Errorf("--assume-role: %w", awserr.Explain(ctx, err, awserr.Op{Service: "STS", Call: "AssumeRole", Resource: "role " + d.RoleARN,
			Region: d.Region, Permission: "sts:AssumeRole", DeadlineFlag: "--timeout"}))
	}
	c := out.Credentials
	if c == nil {
		return nil, cmdutil.RuntimeErrorf("--assume-role: STS returned no credentials for role %s", d.RoleARN)
	}
	creds := credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	return kinesis.New(client.Options(), func(o *kinesis.Options) { o.Credentials = aws.NewCredentialsCache(creds) }), nil
}
