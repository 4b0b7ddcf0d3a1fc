package cmdutil

import (
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

// DestinationNames completes destination names from the store, for
// ValidArgsFunction and flag completion.
func DestinationNames(f *Factory) func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 && cmd.Args != nil && cmd.Args(cmd, append(args, toComplete)) != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		s, err := f.Store()
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
