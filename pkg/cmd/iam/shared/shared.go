// Package shared holds what the iam commands share: loading a destination
// and printing a policy document.
package shared

import (
	"fmt"

	destshared "github.com/ldexport/ldexport/pkg/cmd/dest/shared"

	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/ldexport/ldexport/pkg/policy"
	"github.com/ldexport/ldexport/pkg/store"
)

// Destination loads the destination called name. An invalid name is bad
// input (exit 2); an unknown one or an unreadable store fails (exit 1).
func Destination(f *cmdutil.Factory, name string) (store.Destination, error) {
	if err := store.ValidateName(name); err != nil {
		return store.Destination{}, cmdutil.FlagErrorf("--dest: %v", err)
	}
	d, err := destshared.Load(f, name)
	if err != nil {
		return d, fmt.Errorf("--dest: %w", err)
	}
	return d, nil
}

// PrintDocument prints a policy document on stdout and nothing else, so it
// can be piped into `aws iam ... file:///dev/stdin`: YAML with -o yaml,
// otherwise JSON in the contract's layout (policy.Marshal).
func PrintDocument(f *cmdutil.Factory, doc any) error {
	if f.Globals.Output == output.YAML {
		return output.WriteYAML(f.IOStreams.Out, doc)
	}
	data, err := policy.Marshal(doc)
	if err != nil {
		return err
	}
	_, err = f.IOStreams.Out.Write(data)
	return err
}
