package cmdutil

import (
	"strings"

	"github.com/ldexport/ldexport/pkg/store"
	"github.com/spf13/cobra"
)

// ExactArgs is cobra.ExactArgs with a usage error (exit 2) that says what is missing.
func ExactArgs(n int, msg string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > n {
			return FlagErrorf("too many arguments: %q", args[n:])
		}
		if len(args) < n {
			return FlagErrorf("%s", msg)
		}
		return nil
	}
}

// NoArgs rejects positional arguments with a usage error.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return FlagErrorf("unexpected argument %q for %q", args[0], cmd.CommandPath())
	}
	return nil
}

// GroupRunE is the RunE of a command that only groups subcommands: it shows
// help, or rejects an unknown subcommand with a usage error (exit 2).
func GroupRunE(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return FlagErrorf("unknown command %q for %q", args[0], cmd.CommandPath())
	}
	return cmd.Help()
}

// UsageTemplate adapts cobra's usage template base so that a group command
// (one with subcommands, such as dest and iam) shows only
// "ldexport dest <command> [flags]": it does nothing of its own, so cobra's
// "ldexport dest [flags]" line would promise something that is not there.
func UsageTemplate(base string) string {
	tmpl := strings.Replace(base, "Usage:{{if .Runnable}}\n  {{.UseLine}}{{end}}{{if .HasAvailableSubCommands}}\n  {{.CommandPath}} [command]{{end}}",
		"Usage:{{if .HasAvailableSubCommands}}\n  {{.CommandPath}} <command> [flags]{{else if .Runnable}}\n  {{.UseLine}}{{end}}", 1)
	return strings.Replace(tmpl, `{{.CommandPath}} [command] --help`, `{{.CommandPath}} <command> --help`, 1)
}

// CompleteDestinationNames completes destination names from the store
// openStore opens (a Factory's Store), for ValidArgsFunction and flag
// completion.
func CompleteDestinationNames(openStore func() (*store.Store, error)) func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 && cmd.Args != nil && cmd.Args(cmd, append(args, toComplete)) != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		s, err := openStore()
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		ds, err := s.List()
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		var names []cobra.Completion
		for _, d := range ds {
			names = append(names, cobra.CompletionWithDesc(d.Name, d.Project+"/"+d.Environment+" → "+d.StreamName))
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}
