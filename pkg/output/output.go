// Package output prints data the way the -o flag asks: a table (lipgloss-styled
// on a terminal, tab-separated when piped), JSON (2-space indented) or YAML.
package output

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/lipgloss/table"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"go.yaml.in/yaml/v3"
)

// Format is an output format named by -o.
type Format string

// The formats -o accepts.
const (
	Table Format = "table"
	JSON  Format = "json"
	YAML  Format = "yaml"
)

// ParseFormat checks an -o value.
func ParseFormat(s string) (Format, error) {
	switch Format(s) {
	case Table, JSON, YAML:
		return Format(s), nil
	}
	return "", fmt.Errorf("invalid value %q for -o/--output: want table, json or yaml", s)
}

// writeJSON writes v as 2-space indented JSON and a newline, without HTML escaping.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// WriteYAML writes v as YAML with 2-space indentation. Values are passed
// through JSON first so YAML keys are the JSON keys.
func WriteYAML(w io.Writer, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var node yaml.Node
	if err := yaml.Unmarshal(data, &node); err != nil {
		return err
	}
	blockStyle(&node)
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(&node); err != nil {
		return err
	}
	return enc.Close()
}

// Write prints v as JSON or YAML; for Table it calls table.
func Write(ios *iostreams.IOStreams, f Format, v any, table func() error) error {
	switch f {
	case JSON:
		return writeJSON(ios.Out, v)
	case YAML:
		return WriteYAML(ios.Out, v)
	default:
		return table()
	}
}

// TablePrinter collects rows and prints them styled on a terminal, or as
// tab-separated lines (header first) when stdout is not a terminal.
type TablePrinter struct {
	ios     *iostreams.IOStreams
	headers []string
	rows    [][]string
}

// NewTablePrinter starts a table with the given column headers.
func NewTablePrinter(ios *iostreams.IOStreams, headers ...string) *TablePrinter {
	return &TablePrinter{ios: ios, headers: headers}
}

// AddRow adds one row.
func (t *TablePrinter) AddRow(cells ...string) { t.rows = append(t.rows, cells) }

// Render prints the table.
func (t *TablePrinter) Render() error {
	if !t.ios.IsStdoutTTY() {
		var b strings.Builder
		b.WriteString(strings.Join(t.headers, "\t"))
		b.WriteByte('\n')
		for _, r := range t.rows {
			for i := range r {
				r[i] = strings.NewReplacer("\t", " ", "\n", " ").Replace(r[i])
			}
			b.WriteString(strings.Join(r, "\t"))
			b.WriteByte('\n')
		}
		_, err := io.WriteString(t.ios.Out, b.String())
		return err
	}
	p := NewPalette(t.ios)
	tbl := table.New().
		Border(lipgloss.NormalBorder()).
		BorderTop(false).BorderBottom(false).BorderLeft(false).BorderRight(false).
		BorderColumn(false).BorderHeader(true).
		BorderStyle(p.Muted).
		Headers(t.headers...).
		Rows(t.rows...).
		StyleFunc(func(row, col int) lipgloss.Style {
			style := p.Plain
			if row == table.HeaderRow {
				style = p.Header
			}
			if col < len(t.headers)-1 {
				style = style.PaddingRight(2)
			}
			return style
		})
	lines := strings.Split(tbl.Render(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	_, err := fmt.Fprintln(t.ios.Out, strings.Join(lines, "\n"))
	return err
}

// blockStyle turns JSON's flow style into YAML's block style; the encoder
// still quotes strings that would otherwise read back as numbers or booleans.
func blockStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		blockStyle(c)
	}
}
