package store

import (
	"bytes"
	"fmt"

	"github.com/ldexport/ldexport/pkg/awsarn"
	"github.com/ldexport/ldexport/pkg/ldkey"
	"github.com/ldexport/ldexport/pkg/quote"
	"go.yaml.in/yaml/v3"
)

// Validate checks every field of a destination with the same rules as
// `dest create`, so a hand-edited store is refused when it is loaded, naming
// the field, rather than failing later in an AWS call. The error names the
// field by its YAML key; field is that key.
func (d Destination) Validate() (field string, err error) {
	role, roleErr := awsarn.ParseRoleARN(d.RoleARN)
	checks := []struct {
		field string
		err   func() error
	}{
		{"name", func() error { return ValidateName(d.Name) }},
		{"project", func() error { return ldkey.ValidateProjectKey(d.Project) }},
		{"environment", func() error { return ldkey.ValidateEnvironmentKey(d.Environment) }},
		{"region", func() error { return awsarn.ValidateRegion(d.Region) }},
		{"streamName", func() error { return awsarn.ValidateStreamName(d.StreamName) }},
		{"roleArn", func() error {
			if roleErr != nil {
				return roleErr
			}
			if p := awsarn.Partition(d.Region); role.Partition != p {
				return fmt.Errorf("partition %s does not match region %s (partition %s)", role.Partition, d.Region, p)
			}
			return nil
		}},
		{"accountId", func() error {
			if err := awsarn.ValidateAccountID(d.AccountID); err != nil {
				return err
			}
			if d.AccountID != role.AccountID {
				return fmt.Errorf("%s differs from the role ARN's account %s", d.AccountID, role.AccountID)
			}
			return nil
		}},
		{"streamArn", func() error {
			if want := awsarn.StreamARN(d.Region, d.AccountID, d.StreamName); d.StreamARN != want {
				return fmt.Errorf("%s is not the ARN of the destination's stream, %s", quote.Input(d.StreamARN), want)
			}
			return nil
		}},
		{"externalId", func() error {
			if d.ExternalID == "" {
				return nil
			}
			return awsarn.ValidateExternalID(d.ExternalID)
		}},
		{"kmsKeyArn", func() error {
			if d.KMSKeyARN == "" {
				return nil
			}
			return awsarn.ValidateKMSKeyFor(d.KMSKeyARN, d.Region)
		}},
		{"endpointUrl", func() error {
			if d.EndpointURL == "" {
				return nil
			}
			return awsarn.ValidateEndpointURL(d.EndpointURL)
		}},
	}
	for _, c := range checks {
		if err := c.err(); err != nil {
			return c.field, err
		}
	}
	return "", nil
}

// validate checks every destination and that no two share a name or a
// project environment. It returns the index and field of the first problem.
func (f *File) validate() (index int, field string, err error) {
	names := map[string]bool{}
	envs := map[[2]string]string{}
	for i, d := range f.Destinations {
		if field, err := d.Validate(); err != nil {
			return i, field, fmt.Errorf("destination %d (%s): %s: %w", i+1, quote.Input(d.Name), field, err)
		}
		if names[d.Name] {
			return i, "name", fmt.Errorf("destination %d: %w: %q is named twice", i+1, ErrExists, d.Name)
		}
		names[d.Name] = true
		key := [2]string{d.Project, d.Environment}
		if other, ok := envs[key]; ok {
			return i, "environment", fmt.Errorf("destination %d (%q): %w: project %q environment %q is also exported by %q", i+1, d.Name, ErrEnvTaken, d.Project, d.Environment, other)
		}
		envs[key] = d.Name
	}
	return 0, "", nil
}

// line finds the line of field in the index-th destination of a store file,
// or of the destination itself when the field is absent; 0 if not found.
func line(data []byte, index int, field string) int {
	var doc yaml.Node
	if yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc) != nil || len(doc.Content) == 0 {
		return 0
	}
	list := value(doc.Content[0], "destinations")
	if list == nil || list.Kind != yaml.SequenceNode || index >= len(list.Content) {
		return 0
	}
	item := list.Content[index]
	if v := value(item, field); v != nil {
		return v.Line
	}
	return item.Line
}

// value returns the value node of key in a mapping node, or nil.
func value(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
