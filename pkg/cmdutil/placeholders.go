package cmdutil

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// placeholders names the value of each string flag in help, in the words the
// contract uses (`--checkpoint PATH`, `--dest NAME`); numbers and durations
// are named by their type (N, DURATION), so every command reads alike.
var placeholders = map[string]string{
	"config": "PATH", "checkpoint": "PATH", "reject-file": "PATH", "sample": "PATH",
	"profile": "NAME", "dest": "NAME", "role-name": "NAME", "policy-name": "NAME",
	"region": "REGION", "endpoint-url": "URL", "output": "FORMAT",
	"stream": "STREAM", "env": "ENV", "environment": "ENV", "project": "KEY",
	"role-arn": "ARN", "kms-key-arn": "ARN", "account-id": "ID", "external-id": "ID",
	"partition-key": "KEY", "on-invalid": "fail|skip",
	"events-per-month": "N", "avg-event-bytes": "N", "count": "N", "peak-factor": "FACTOR",
	"from": "WHERE", "grep": "TEXT", "kinds": "LIST", "start": "TIME",
	"format": "FORMAT", "ld-api-host": "URL", "launchdarkly-account": "ID", "aggregate-max-bytes": "N",
}

// typePlaceholders names values by type when the flag has no entry above.
var typePlaceholders = map[string]string{
	"int": "N", "int64": "N", "uint": "N", "uint64": "N", "float64": "N", "duration": "DURATION",
}

// placeholderValue is a flag value whose Type, which pflag prints as the
// value's name in help, is a placeholder. The value itself is unchanged.
type placeholderValue struct {
	pflag.Value
	name string
}

func (v placeholderValue) Type() string { return v.name }

// SetPlaceholders gives every non-boolean flag of cmd and its subcommands
// its placeholder. Call it once the tree is built.
func SetPlaceholders(cmd *cobra.Command) {
	set := func(f *pflag.Flag) {
		if _, done := f.Value.(placeholderValue); done {
			return
		}
		name, ok := placeholders[f.Name]
		if !ok {
			name, ok = typePlaceholders[f.Value.Type()]
		}
		if ok && f.Value.Type() != "bool" {
			f.Value = placeholderValue{Value: f.Value, name: name}
		}
	}
	cmd.LocalNonPersistentFlags().VisitAll(set)
	cmd.PersistentFlags().VisitAll(set)
	for _, sub := range cmd.Commands() {
		SetPlaceholders(sub)
	}
}

// valueType is the type of a flag's value beneath its placeholder.
func valueType(f *pflag.Flag) string {
	if v, ok := f.Value.(placeholderValue); ok {
		return v.Value.Type()
	}
	return f.Value.Type()
}
