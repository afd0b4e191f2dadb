package office

import (
	"strconv"

	"github.com/signedgate/gateway/internal/engine"
)

// The three LibreOffice applications a document can open in. The helper
// reports the same names for a loaded document.
const (
	writer  = "writer"
	calc    = "calc"
	impress = "impress"
)

// inputFormat says how a format is loaded. An empty filter lets LibreOffice
// detect the type from the content, which it does well for binary and
// zipped formats; plain-text formats need to be told.
type inputFormat struct {
	family  string
	filter  string
	options string
}

var inputs = map[string]inputFormat{
	"doc":  {family: writer},
	"docx": {family: writer},
	"odt":  {family: writer},
	"rtf":  {family: writer},
	// Text in UTF-8, whatever the machine's locale.
	"txt": {family: writer, filter: "Text (encoded)", options: "UTF8"},
	// Writer proper, not Writer/Web, so that the document can also be saved
	// as docx or odt.
	"html": {family: writer, filter: "HTML (StarWriter)"},
	"xls":  {family: calc},
	"xlsx": {family: calc},
	"ods":  {family: calc},
	// Separator, text delimiter ("), UTF-8 (76), from line 1.
	"csv":  {family: calc, filter: "Text - txt - csv (StarCalc)", options: csvOptions(',')},
	"ppt":  {family: impress},
	"pptx": {family: impress},
	"odp":  {family: impress},
}

// outputFormat says how a format is saved. PDF has no entry: its filter
// depends on the application the document opened in, which the helper
// knows.
type outputFormat struct {
	family  string
	filter  string
	options string
}

var outputs = map[string]outputFormat{
	"docx": {family: writer, filter: "MS Word 2007 XML"},
	"doc":  {family: writer, filter: "MS Word 97"},
	"odt":  {family: writer, filter: "writer8"},
	"rtf":  {family: writer, filter: "Rich Text Format"},
	"txt":  {family: writer, filter: "Text (encoded)", options: "UTF8,LF"},
	"html": {family: writer, filter: "HTML (StarWriter)"},
	"xlsx": {family: calc, filter: "Calc MS Excel 2007 XML"},
	"xls":  {family: calc, filter: "MS Excel 97"},
	"ods":  {family: calc, filter: "calc8"},
	"csv":  {family: calc, filter: "Text - txt - csv (StarCalc)", options: csvOptions(',')},
	"pptx": {family: impress, filter: "Impress MS PowerPoint 2007 XML"},
	"ppt":  {family: impress, filter: "MS PowerPoint 97"},
	"odp":  {family: impress, filter: "impress8"},
}

// csvOptions is the CSV filter's option string for a field separator:
// separator, text delimiter (34 = "), character set (76 = UTF-8), first line.
func csvOptions(sep byte) string {
	return strconv.Itoa(int(sep)) + ",34,76,1"
}

// Name is the engine's name in the registry and in a task's "engine".
const Name = "libreoffice"

// Package is the Debian package to name when LibreOffice is missing; the
// calc and impress packages and python3-uno are listed in docs/engines.md.
const Package = "libreoffice-writer-nogui"

// Conversions lists every conversion of the engine: each input to PDF and to
// the other formats of its application. It does not need LibreOffice to be
// installed, so that a registry can list the conversions of a missing engine.
func Conversions() []engine.Conversion {
	var cs []engine.Conversion
	for in, inf := range inputs {
		cs = append(cs, engine.Conversion{Operation: "convert", Input: in, Output: "pdf"})
		for out, outf := range outputs {
			if out != in && outf.family == inf.family {
				cs = append(cs, engine.Conversion{Operation: "convert", Input: in, Output: out})
			}
		}
	}
	return cs
}

func supported(in, out string) bool {
	inf, ok := inputs[in]
	if !ok {
		return false
	}
	if out == "pdf" {
		return true
	}
	outf, ok := outputs[out]
	return ok && out != in && outf.family == inf.family
}
