// Package completion implements `ldexport completion bash|zsh|fish|powershell`.
package completion

import (
	"io"

	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/spf13/cobra"
)

// Shells lists the shells `completion` supports, in the order the committed
// scripts under completions/ are named.
var Shells = []string{"bash", "zsh", "fish", "powershell"}

// NewCmdCompletion returns `ldexport completion SHELL`.
func NewCmdCompletion(f *cmdutil.Factory) *cobra.Command {
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
		RunE: func(cmd *cobra.Command, args []string) error {
			return Generate(cmd.Root(), args[0], f.IOStreams.Out)
		},
	}
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
	return cmdutil.FlagErrorf("unsupported shell %q: want bash, zsh, fish or powershell", shell)
}
