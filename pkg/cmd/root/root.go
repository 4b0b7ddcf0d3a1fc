// Package root builds ldexport's command tree and runs it: global flags and
// their environment variables (through viper), error printing and exit codes.
package root

import (
	"context"
	"errors"
	"fmt"
	"strings"

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
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]cobra.Completion{"table", "json", "yaml"}, cobra.ShellCompDirectiveNoFileComp))

	v := viper.New()
	v.SetEnvPrefix("LDEXPORT")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	for _, name := range []string{"config", "profile", "region", "endpoint-url", "output", "no-color"} {
		_ = v.BindPFlag(name, pf.Lookup(name))
	}
	// The contract names these environment variables for the AWS flags; the SDK
	// reads them too, but binding them here keeps one precedence: flag, then env.
	_ = v.BindEnv("profile", "AWS_PROFILE")
	_ = v.BindEnv("region", "AWS_REGION", "AWS_DEFAULT_REGION")

	cmd.PersistentPreRunE = func(c *cobra.Command, args []string) error {
		g := f.Globals
		g.ConfigPath = v.GetString("config")
		g.Profile = v.GetString("profile")
		g.Region = v.GetString("region")
		g.EndpointURL = v.GetString("endpoint-url")
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
	cmd.AddCommand(version.NewCmdVersion(f))
	cmd.AddCommand(completion.NewCmdCompletion(f))
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

// oneLine keeps an error on one line, as the contract promises.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}
