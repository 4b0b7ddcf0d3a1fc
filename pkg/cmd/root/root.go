// Package root builds ldexport's command tree and runs it: global flags and
// their environment variables (through viper), error printing and exit codes.
package root

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ldexport/ldexport/pkg/awsarn"
	"github.com/ldexport/ldexport/pkg/cmd/completion"
	"github.com/ldexport/ldexport/pkg/cmd/dest"
	"github.com/ldexport/ldexport/pkg/cmd/gen"
	"github.com/ldexport/ldexport/pkg/cmd/iam"
	"github.com/ldexport/ldexport/pkg/cmd/send"
	"github.com/ldexport/ldexport/pkg/cmd/shards"
	"github.com/ldexport/ldexport/pkg/cmd/tail"
	"github.com/ldexport/ldexport/pkg/cmd/version"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"
)

// NewCmdRoot returns the ldexport command with every subcommand.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ldexport",
		Short: "Wire LaunchDarkly Data Export into Amazon Kinesis",
		Long: `ldexport sets up and operates LaunchDarkly Data Export destinations on Amazon Kinesis:
it keeps destinations, writes the IAM policies LaunchDarkly needs, sizes the stream,
sends and verifies the test event, and pushes NDJSON event files into the stream.`,
		Example: `  ldexport dest create prod --env production --stream ld-events --role-arn arn:aws:iam::123456789012:role/ld-export
  ldexport iam apply --dest prod
  ldexport shards --events-per-month 120M
  ldexport send events.ndjson --dest prod`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	cmd.SetIn(f.IOStreams.In)
	cmd.SetOut(f.IOStreams.Out)
	cmd.SetErr(f.IOStreams.ErrOut)

	pf := cmd.PersistentFlags()
	pf.String("config", "", "destination store (env LDEXPORT_CONFIG; default <user config dir>/ldexport/config.yaml)")
	pf.String("profile", "", "AWS shared-config profile (env AWS_PROFILE)")
	pf.String("region", "", "AWS region (env AWS_REGION)")
	pf.String("endpoint-url", "", "Kinesis endpoint, e.g. a local emulator (env LDEXPORT_ENDPOINT_URL)")
	pf.StringP("output", "o", "table", "output format: table, json or yaml")
	pf.Bool("no-color", false, "no colour (env NO_COLOR)")
	pf.String("ld-api-host", "", "LaunchDarkly API host (env LAUNCHDARKLY_API_HOST; default https://app.launchdarkly.com, Federal: https://app.launchdarkly.us)")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]cobra.Completion{"table", "json", "yaml"}, cobra.ShellCompDirectiveNoFileComp))

	v := viper.New()
	v.SetEnvPrefix("LDEXPORT")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	for _, name := range []string{"config", "profile", "region", "endpoint-url", "output", "no-color", "ld-api-host"} {
		_ = v.BindPFlag(name, pf.Lookup(name))
	}
	// The contract names these environment variables for the AWS flags; the SDK
	// reads them too, but binding them here keeps one precedence: flag, then env.
	_ = v.BindEnv("profile", "AWS_PROFILE")
	_ = v.BindEnv("region", "AWS_REGION", "AWS_DEFAULT_REGION")
	_ = v.BindEnv("ld-api-host", "LAUNCHDARKLY_API_HOST")

	cmd.PersistentPreRunE = func(c *cobra.Command, args []string) error {
		g := f.Globals
		g.ConfigPath = v.GetString("config")
		g.Profile = v.GetString("profile")
		g.Region = v.GetString("region")
		g.RegionSource = source(c, "region", "LDEXPORT_REGION", "AWS_REGION", "AWS_DEFAULT_REGION")
		g.EndpointURL = v.GetString("endpoint-url")
		g.LDAPIHost = v.GetString("ld-api-host")
		// A region the user typed for ldexport is checked now; one from the
		// AWS variables other tools share is checked when a command uses it.
		if g.Region != "" && (g.RegionSource == "--region" || g.RegionSource == "LDEXPORT_REGION") {
			if err := awsarn.ValidateRegion(g.Region); err != nil {
				return cmdutil.FlagErrorf("%s: %v", g.RegionSource, err)
			}
		}
		if g.EndpointURL != "" {
			if err := awsarn.ValidateEndpointURL(g.EndpointURL); err != nil {
				return cmdutil.FlagErrorf("%s: %v", source(c, "endpoint-url", "LDEXPORT_ENDPOINT_URL"), err)
			}
		}
		format, err := output.ParseFormat(v.GetString("output"))
		if err != nil {
			return cmdutil.FlagErrorf("%v", err)
		}
		g.Output = format
		g.NoColor = v.GetBool("no-color")
		if g.NoColor {
			f.IOStreams.SetColorEnabled(false)
		}
		return nil
	}
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &cmdutil.FlagError{Err: cmdutil.TidyFlagError(err)}
	})
	cmd.SetHelpCommand(newCmdHelp())
	cmd.SetUsageTemplate(cmdutil.UsageTemplate(cmd.UsageTemplate()))

	cmd.AddCommand(dest.NewCmdDest(f))
	cmd.AddCommand(gen.NewCmdGen(f, nil))
	cmd.AddCommand(iam.NewCmdIAM(f))
	cmd.AddCommand(shards.NewCmdShards(f, nil))
	cmd.AddCommand(tail.NewCmdTail(f, nil))
	cmd.AddCommand(send.NewCmdSend(f, nil))
	cmd.AddCommand(version.NewCmdVersion(f, nil))
	cmd.AddCommand(completion.NewCmdCompletion(f, nil))
	cmdutil.SetPlaceholders(cmd)
	return cmd
}

// Execute runs ldexport with args and returns the exit code. Every error is
// one line on stderr; a usage error (exit 2) reads
// "Error: <what> (see 'ldexport <command> --help')" instead of printing the
// whole usage, which would bury the line that matters.
func Execute(ctx context.Context, f *cmdutil.Factory, args []string) int {
	cmd := NewCmdRoot(f)
	cmd.SetArgs(args)
	executed, err := cmd.ExecuteContextC(ctx)
	if err == nil {
		return cmdutil.ExitOK
	}
	code := cmdutil.ExitCode(err)
	var fe *cmdutil.FlagError
	switch {
	case errors.Is(err, cmdutil.ErrSilent), errors.Is(err, cmdutil.ErrCancel):
	case code == cmdutil.ExitInterrupted && errors.Is(err, context.Canceled):
		fmt.Fprintln(f.IOStreams.ErrOut, "interrupted")
	case errors.As(err, &fe) || cmdutil.IsCobraUsageError(err):
		if executed == nil || executed.Name() == "help" {
			executed = cmd
		}
		fmt.Fprintf(f.IOStreams.ErrOut, "Error: %s (see '%s --help')\n", oneLine(withSuggestions(err.Error())), executed.CommandPath())
	default:
		fmt.Fprintln(f.IOStreams.ErrOut, oneLine(err.Error()))
	}
	return code
}

// newCmdHelp replaces cobra's help command, which answers an unknown topic
// with the whole usage and exit 0: here it is a usage error (exit 2).
func newCmdHelp() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		Long:  "Help shows the help of any command, e.g. `ldexport help dest create`.",
		Example: `  ldexport help send
  ldexport help dest create`,
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			parent, _, err := c.Root().Find(args)
			if err != nil || parent == nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var names []cobra.Completion
			for _, sub := range parent.Commands() {
				if sub.IsAvailableCommand() && strings.HasPrefix(sub.Name(), toComplete) {
					names = append(names, cobra.CompletionWithDesc(sub.Name(), sub.Short))
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			target, rest, err := c.Root().Find(args)
			if err != nil || target == nil || len(rest) > 0 {
				return cmdutil.FlagErrorf("unknown help topic %q", strings.Join(args, " "))
			}
			target.InitDefaultHelpFlag()
			return target.Help()
		},
	}
}

// withSuggestions turns cobra's "Did you mean this?" block into a clause of
// the one error line.
func withSuggestions(msg string) string {
	const marker = "\n\nDid you mean this?\n"
	i := strings.Index(msg, marker)
	if i < 0 {
		return msg
	}
	return msg[:i] + "; did you mean " + strings.Join(strings.Fields(msg[i+len(marker):]), " or ") + "?"
}

// source names where a global flag's value came from, in viper's order: the
// flag, then the first environment variable that is set and not empty.
func source(c *cobra.Command, flag string, envs ...string) string {
	if fl := c.Flags().Lookup(flag); fl != nil && fl.Changed {
		return "--" + flag
	}
	for _, e := range envs {
		if os.Getenv(e) != "" {
			return e
		}
	}
	return "--" + flag
}

// maxErrorLine is the longest error line printed, in bytes; a longer one (a
// message that repeats a huge input) loses its middle, keeping the start that
// says what is wrong and the end that says how to fix it.
const maxErrorLine = 1000

// oneLine keeps an error on one short line, as the contract promises: line
// breaks become spaces, other control characters (a terminal escape an input
// carried) are shown escaped, and the middle of an overlong line is cut.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			fmt.Fprintf(&b, "\\x%02x", r)
			continue
		}
		b.WriteRune(r)
	}
	s = b.String()
	if len(s) <= maxErrorLine {
		return s
	}
	head := s[:runeStart(s, maxErrorLine*7/10)]
	tail := s[runeStart(s, len(s)-maxErrorLine*2/10):]
	return fmt.Sprintf("%s … (%d bytes cut) … %s", head, len(s)-len(head)-len(tail), tail)
}

// runeStart moves i back to the start of the UTF-8 sequence it falls in.
func runeStart(s string, i int) int {
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}
