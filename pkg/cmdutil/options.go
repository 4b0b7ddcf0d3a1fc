package cmdutil

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/spf13/cobra"
)

// Options is the kubectl shape every command's options follow: Complete
// fills defaults and dependencies from the Factory, the globals and the
// arguments; Validate holds every usage rule and answers with a usage error
// (exit 2) before anything reaches the network or writes the store.
type Options interface {
	Complete(f *Factory, cmd *cobra.Command, args []string) error
	Validate() error
}

// RunE is a command's RunE: opts.Complete, opts.Validate, then runF (a test's
// capture of the options) when it is not nil, else run.
func RunE[O Options](f *Factory, opts O, runF, run func(context.Context, O) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := opts.Complete(f, cmd, args); err != nil {
			return err
		}
		if err := opts.Validate(); err != nil {
			return err
		}
		if runF != nil {
			return runF(cmd.Context(), opts)
		}
		return run(cmd.Context(), opts)
	}
}

// KinesisEndpointURL decides, in one place, where Kinesis calls go:
// flag (--endpoint-url or LDEXPORT_ENDPOINT_URL) wins over stored (a
// destination's endpointUrl); "" leaves it to the SDK's own settings
// (AWS_ENDPOINT_URL_KINESIS...) and AWS.
func KinesisEndpointURL(flag, stored string) string {
	if flag != "" {
		return flag
	}
	return stored
}

// ValidateTimeout is the rule of a --timeout that bounds a whole command.
func ValidateTimeout(d time.Duration) error {
	if d <= 0 {
		return FlagErrorf("--timeout: must be more than 0, got %s", d)
	}
	return nil
}

// AWSClients are the clients of a command that checks or sets up a
// destination in AWS.
type AWSClients struct {
	Kinesis *kinesis.Client
	STS     *sts.Client
	IAM     *iam.Client
}

// NewAWSClients builds the Kinesis, STS and IAM clients for region; endpointURL
// is the Kinesis endpoint (see KinesisEndpointURL).
func NewAWSClients(ctx context.Context, region, endpointURL string,
	newKinesis func(context.Context, string, string) (*kinesis.Client, error),
	newSTS func(context.Context, string) (*sts.Client, error),
	newIAM func(context.Context, string) (*iam.Client, error)) (AWSClients, error) {
	var c AWSClients
	var err error
	if c.Kinesis, err = newKinesis(ctx, region, endpointURL); err != nil {
		return c, err
	}
	if c.STS, err = newSTS(ctx, region); err != nil {
		return c, err
	}
	c.IAM, err = newIAM(ctx, region)
	return c, err
}
