// Package completion implements `ldexport completion bash|zsh|fish|powershell`.
package completion

import (
	"context"
	"io"
	"slices"

	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/spf13/cobra"
)

// Shells lists the shells `completion` supports, in the order the committed
// scripts under completions/ are named.
var Shells = []string{"bash", "zsh", "fish", "powershell"}

// CompletionOptions are the dependencies and argument of `completion`.
type CompletionOptions struct {
	IO *iostreams.IOStreams
	// Root is the command tree the script completes.
	Root *cobra.Command

	Shell string
}

// NewCmdCompletion returns `ldexport completion SHELL`; runF replaces
// completionRun in tests.
func NewCmdCompletion(f *cmdutil.Factory, runF func(context.Context, *CompletionOptions) error) *cobra.Command {
	opts := &CompletionOptions{}
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script",
		Long:  `Print a shell completion script for bash, zsh, fish or PowerShell.`,
		Example: `  source <(ldexport completion bash)
  ldexport completion zsh > "${fpath[1]}/_ldexport"
  ldexport completion fish > ~/.config/fish/completions/ldexport.fish
  ldexport completion powershell | Out-String | Invoke-Expression`,
		ValidArgs: Shells,
		Args:      cmdutil.ExactArgs(1, "name a shell: bash, zsh, fish or powershell"),
		RunE:      cmdutil.RunE(f, opts, runF, completionRun),
	}
}

// Complete takes the shell, the command tree and the streams.
func (o *CompletionOptions) Complete(f *cmdutil.Factory, cmd *cobra.Command, args []string) error {
	o.IO, o.Root, o.Shell = f.IOStreams, cmd.Root(), args[0]
	return nil
}

// Validate checks that the shell is one of Shells.
func (o *CompletionOptions) Validate() error {
	if !slices.Contains(Shells, o.Shell) {
		return unsupported(o.Shell)
	}
	return nil
}

func completionRun(_ context.Context, opts *CompletionOptions) error {
	return Generate(opts.Root, opts.Shell, opts.IO.Out)
}

// unsupported is the usage error for a shell not in Shells.
func unsupported(shell string) error {
	return cmdutil.FlagErrorf("unsupported shell %q: want bash, zsh, fish or powershell", shell)
}

// Generate writes root's completion script for shell to w.
func Generate(root *cobra.Command, shell string, w io.Writer) error {
	switch shell {
	case "bash":
		return root.GenBashCompletionV2(w, true)
	case "zsh":
		return root.GenZshCompletion(w)
	case "fish":
		return root.GenFishCompletion(w, true)
	case "powershell":
		return root.GenPowerShellCompletionWithDesc(w)
	}
	return unsupported(shell)
}
