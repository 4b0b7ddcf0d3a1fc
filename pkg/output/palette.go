package output

import (
	"github.com/charmbracelet/lipgloss"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/muesli/termenv"
)

// Palette is ldexport's named styles. With colour off every style renders plain text.
type Palette struct {
	Plain  lipgloss.Style
	Header lipgloss.Style
	Muted  lipgloss.Style
	Pass   lipgloss.Style
	Warn   lipgloss.Style
	Fail   lipgloss.Style
	Skip   lipgloss.Style
}

// NewPalette builds the palette for a stream, honouring NO_COLOR and --no-color.
// Each palette has its own renderer, so tests never couple through global state.
func NewPalette(ios *iostreams.IOStreams) Palette {
	r := lipgloss.NewRenderer(ios.Out)
	if ios.ColorEnabled() {
		r.SetColorProfile(termenv.ANSI256)
	} else {
		r.SetColorProfile(termenv.Ascii)
	}
	return Palette{
		Plain:  r.NewStyle(),
		Header: r.NewStyle().Bold(true).Foreground(lipgloss.Color("75")),
		Muted:  r.NewStyle().Foreground(lipgloss.Color("244")),
		Pass:   r.NewStyle().Foreground(lipgloss.Color("42")),
		Warn:   r.NewStyle().Foreground(lipgloss.Color("214")),
		Fail:   r.NewStyle().Bold(true).Foreground(lipgloss.Color("196")),
		Skip:   r.NewStyle().Foreground(lipgloss.Color("244")),
	}
}
