package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
	"github.com/ldexport/ldexport/pkg/awsarn"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/launchdarkly"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/ldexport/ldexport/pkg/store"
)

// BuildInfo is what `ldexport version` prints.
type BuildInfo struct {
	Version string
	Commit  string
	Date    string
}

// GlobalOptions are the values of the contract's global flags, resolved from
// flags and environment before any command runs.
type GlobalOptions struct {
	ConfigPath string
	Profile    string
	Region     string
	// RegionSource names where Region came from: --region, LDEXPORT_REGION,
	// AWS_REGION or AWS_DEFAULT_REGION, for error messages.
	RegionSource string
	EndpointURL  string
	Output       output.Format
	NoColor      bool
	// LDAPIHost is LaunchDarkly's API host (--ld-api-host /
	// LAUNCHDARKLY_API_HOST); empty: launchdarkly.DefaultHost.
	LDAPIHost string
}

// Factory carries the I/O streams and lazy constructors every command needs,
// so a test can swap any of them for a fake.
type Factory struct {
	IOStreams *iostreams.IOStreams
	Globals   *GlobalOptions
	Build     BuildInfo

	// Store opens the destination store named by --config.
	Store func() (*store.Store, error)
	// AWSConfig loads the SDK's default chain, with --profile and the given
	// region (empty: --region, then the chain's own).
	AWSConfig func(ctx context.Context, region string) (aws.Config, error)
	// Kinesis returns a Kinesis client for a region and an endpoint (empty:
	// --endpoint-url / LDEXPORT_ENDPOINT_URL, then AWS's own).
	Kinesis func(ctx context.Context, region, endpointURL string) (*kinesis.Client, error)
	// IAM returns an IAM client for the partition of region (IAM itself is
	// global). The SDK's AWS_ENDPOINT_URL_IAM overrides the endpoint.
	IAM func(ctx context.Context, region string) (*iam.Client, error)
	// STS returns an STS client for a region. The SDK's AWS_ENDPOINT_URL_STS
	// overrides the endpoint.
	STS func(ctx context.Context, region string) (*sts.Client, error)
	// LaunchDarkly returns a LaunchDarkly API client for --ld-api-host, with
	// the token from LAUNCHDARKLY_ACCESS_TOKEN or LD_ACCESS_TOKEN.
	LaunchDarkly func() (*launchdarkly.Client, error)
	// Now is the clock (tests fix it).
	Now func() time.Time
}

// NewFactory returns the production Factory.
func NewFactory(ios *iostreams.IOStreams, build BuildInfo) *Factory {
	f := &Factory{
		IOStreams: ios,
		Globals:   &GlobalOptions{Output: output.Table},
		Build:     build,
		Now:       time.Now,
	}
	f.Store = func() (*store.Store, error) {
		p := f.Globals.ConfigPath
		if p == "" {
			var err error
			if p, err = store.DefaultPath(); err != nil {
				return nil, err
			}
		}
		return store.New(p), nil
	}
	f.AWSConfig = func(ctx context.Context, region string) (aws.Config, error) {
		return LoadAWSConfig(ctx, f.Globals, region, "")
	}
	f.Kinesis = func(ctx context.Context, region, endpointURL string) (*kinesis.Client, error) {
		endpointURL = KinesisEndpointURL(f.Globals.EndpointURL, endpointURL)
		cfg, err := LoadAWSConfig(ctx, f.Globals, region, endpointURL)
		if err != nil {
			return nil, err
		}
		build := func(cfg aws.Config) *kinesis.Client {
			return kinesis.NewFromConfig(cfg, func(o *kinesis.Options) {
				if endpointURL != "" {
					o.BaseEndpoint = aws.String(endpointURL)
				}
			})
		}
		return forEmulator(ctx, f.Globals, cfg, build, KinesisEndpoint)
	}
	f.IAM = func(ctx context.Context, region string) (*iam.Client, error) {
		cfg, err := f.AWSConfig(ctx, region)
		if errors.Is(err, ErrNoRegion) {
			// IAM is global: without a configured region, sign for us-east-1.
			cfg, err = f.AWSConfig(ctx, "us-east-1")
		}
		if err != nil {
			return nil, err
		}
		return forEmulator(ctx, f.Globals, cfg, func(cfg aws.Config) *iam.Client { return iam.NewFromConfig(cfg) }, IAMEndpoint)
	}
	f.LaunchDarkly = func() (*launchdarkly.Client, error) {
		return NewLaunchDarklyClient(f.Globals, os.Getenv, "ldexport/"+build.Version)
	}
	f.STS = func(ctx context.Context, region string) (*sts.Client, error) {
		cfg, err := f.AWSConfig(ctx, region)
		if err != nil {
			return nil, err
		}
		return forEmulator(ctx, f.Globals, cfg, func(cfg aws.Config) *sts.Client { return sts.NewFromConfig(cfg) }, STSEndpoint)
	}
	return f
}

// NewLaunchDarklyClient returns a LaunchDarkly client for g's host and the
// token in the environment (read with getenv). A bad host or a missing token
// is invalid input (exit 2).
func NewLaunchDarklyClient(g *GlobalOptions, getenv func(string) string, userAgent string) (*launchdarkly.Client, error) {
	host := g.LDAPIHost
	if host == "" {
		host = launchdarkly.DefaultHost
	}
	if err := launchdarkly.ValidateHost(host); err != nil {
		return nil, UsageErrorf("--ld-api-host: %v", err)
	}
	token, err := launchdarkly.TokenFromEnv(getenv)
	if err != nil {
		return nil, Usage(err)
	}
	c, err := launchdarkly.New(launchdarkly.Config{Host: host, Token: token, UserAgent: userAgent})
	return c, Usage(err)
}

// ErrNoRegion is LoadAWSConfig's error when no flag, variable or profile
// gives a region (exit 2).
var ErrNoRegion = errors.New("no AWS region: pass --region, set AWS_REGION, or set a region in the AWS profile")

// forEmulator builds a client from cfg; when the SDK's endpoint settings
// (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the services section) send
// it to a local emulator, the configuration is loaded again as for
// --endpoint-url: no EC2 metadata lookups, placeholder credentials when the
// chain has none. A malformed endpoint setting is invalid input (exit 2).
func forEmulator[C any](ctx context.Context, g *GlobalOptions, cfg aws.Config, build func(aws.Config) C, endpoint func(C) ServiceEndpoint) (C, error) {
	var zero C
	c := build(cfg)
	ep := endpoint(c)
	if err := ep.checkSetting(os.Getenv); err != nil {
		return zero, err
	}
	if !IsLoopback(ep.URL) {
		return c, nil
	}
	local, err := LoadAWSConfig(ctx, g, cfg.Region, ep.URL)
	if err != nil {
		return zero, err
	}
	return build(local), nil
}

// LoadAWSConfig loads the SDK's default configuration chain. --region wins
// over region, which wins over the chain's region. When endpointURL is a
// loopback address (a local emulator) and the chain has no credentials,
// placeholder credentials are used: emulators accept any signature.
func LoadAWSConfig(ctx context.Context, g *GlobalOptions, region, endpointURL string) (aws.Config, error) {
	// The SDK's own log lines (e.g. IMDS fallbacks) would break the promise of
	// one error line on stderr; errors reach the user through return values.
	opts := []func(*config.LoadOptions) error{config.WithLogger(logging.Nop{}),
		// No call waits forever: every attempt has its limits.
		config.WithHTTPClient(DefaultTimeouts.HTTPClient()),
		config.WithAPIOptions([]func(*middleware.Stack) error{DefaultTimeouts.APIOption()}),
	}
	if IsLoopback(endpointURL) {
		// A local emulator: never ask the EC2 metadata service for credentials.
		opts = append(opts, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	if g.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(g.Profile))
	}
	source := "region"
	if g.Region != "" {
		region, source = g.Region, g.RegionFrom()
	}
	if region != "" {
		if err := awsarn.ValidateRegion(region); err != nil {
			return aws.Config{}, UsageErrorf("%s: %v", source, err)
		}
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("cannot load AWS configuration: %w", err)
	}
	if region == "" && cfg.Region != "" {
		if err := awsarn.ValidateRegion(cfg.Region); err != nil {
			return aws.Config{}, UsageErrorf("the AWS configuration's region (profile %s): %v", profileName(g), err)
		}
	}
	if IsLoopback(endpointURL) {
		if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
			cfg.Credentials = credentials.NewStaticCredentialsProvider("local", "local", "")
		}
		if cfg.Region == "" {
			cfg.Region = "us-east-1"
		}
	}
	if cfg.Region == "" {
		return aws.Config{}, &ExitError{Code: ExitUsage, Err: ErrNoRegion}
	}
	return cfg, nil
}

// RegionFrom names where Region came from, for error messages.
func (g *GlobalOptions) RegionFrom() string {
	if g == nil || g.RegionSource == "" {
		return "--region"
	}
	return g.RegionSource
}

func profileName(g *GlobalOptions) string {
	if g.Profile != "" {
		return g.Profile
	}
	return "default"
}
