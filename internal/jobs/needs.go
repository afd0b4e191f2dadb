package jobs

import (
	"net/url"
	"path"
	"slices"

	"github.com/signedgate/gateway/internal/engine"
	"github.com/signedgate/gateway/internal/fetch"
	"github.com/signedgate/gateway/internal/jobs/jobspec"
)

// Needs lists, sorted and without repeats, the engine families a worker
// must have to run spec: the family (reg.NeedNamed, with the task's
// "engine" option) of every engine task (convert, thumbnail, optimize,
// merge, archive, capture-website) for each input format it will see. reg
// should know every engine the gateway has, installed here or not, in the
// preference order of a real registry (an edge's catalog).
//
// Formats are read from the job as the runner reads them, as far as they
// are known before anything runs: a task's input_format; else the name of
// each file its input tasks produce: an import's filename, an S3 key's last
// segment, an engine task's filename option or output format. An unknown
// format is "" and Registry.Need decides. import/url without a filename is
// named by the URL's last path segment, which the response may still
// change (Content-Disposition, a redirect): when that guess needs no
// family, the task's need is worked out as for an unknown format, which
// changes the answer only when no engine can do the task from the guess.
//
// A job whose tasks are not engine tasks, or whose every engine task any
// worker can run (or none can), needs nothing: nil.
func Needs(reg *engine.Registry, spec *jobspec.Job) []string {
	p := &needsPlan{reg: reg, job: spec, files: map[string][]fileFormat{}, busy: map[string]bool{}}
	var needs []string
	for _, t := range spec.Tasks {
		if isEngineOp(t.Operation) {
			needs = append(needs, p.taskNeeds(t)...)
		}
	}
	slices.Sort(needs)
	needs = slices.Compact(needs)
	return slices.DeleteFunc(needs, func(s string) bool { return s == "" })
}

// isEngineOp reports whether operation runs through the engine registry
// (see Service.operation and Service.convert).
func isEngineOp(op string) bool {
	switch op {
	case jobspec.OpConvert, jobspec.OpThumbnail, jobspec.OpOptimize, jobspec.OpMerge,
		jobspec.OpArchive, jobspec.OpCaptureWebsite:
		return true
	}
	return false
}

// fileFormat is the format of a file a task will produce, as far as the
// job tells: "" when unknown; guess when the name is only the likely one.
type fileFormat struct {
	format string
	guess  bool
}

// needsPlan works out the formats of the files each task produces.
type needsPlan struct {
	reg   *engine.Registry
	job   *jobspec.Job
	files map[string][]fileFormat // by task name, once worked out
	busy  map[string]bool         // tasks being worked out (a cycle guard)
}

// taskNeeds is the families engine task t needs: one per input format it
// looks up an engine for.
func (p *needsPlan) taskNeeds(t *jobspec.Task) []string {
	name, _ := t.String("engine")
	out, _ := t.String("output_format")
	var needs []string
	for _, in := range p.engineInputs(t) {
		need := p.reg.NeedNamed(name, t.Operation, in.format, out)
		if need == "" && in.guess && in.format != "" {
			need = p.reg.NeedNamed(name, t.Operation, "", out)
		}
		needs = append(needs, need)
	}
	return needs
}

// engineInputs are the input formats engine task t looks an engine up
// for, as Service.convert picks them: capture-website's "website"; else
// the task's input_format; else the format of each input file (convert,
// thumbnail, optimize) or of the first one (merge, archive).
func (p *needsPlan) engineInputs(t *jobspec.Task) []fileFormat {
	if t.Operation == jobspec.OpCaptureWebsite {
		return []fileFormat{{format: websiteFormat}}
	}
	files := p.inputFiles(t)
	if len(files) == 0 {
		return nil // the task fails on every worker
	}
	if f, _ := t.String("input_format"); engine.NormalizeFormat(f) != "" {
		return []fileFormat{{format: engine.NormalizeFormat(f)}}
	}
	switch t.Operation {
	case jobspec.OpConvert, jobspec.OpThumbnail, jobspec.OpOptimize:
		seen := make(map[fileFormat]bool, len(files))
		return slices.DeleteFunc(files, func(f fileFormat) bool {
			dup := seen[f]
			seen[f] = true
			return dup
		})
	}
	return files[:1]
}

// inputFiles are the formats of the files t's input tasks produce, in
// order; a fresh slice.
func (p *needsPlan) inputFiles(t *jobspec.Task) []fileFormat {
	var files []fileFormat
	for _, in := range t.Input {
		if it := p.job.Task(in); it != nil {
			files = append(files, p.output(it)...)
		}
	}
	return files
}

// unknown is one file, or several, of formats not known before the job
// runs.
var unknown = []fileFormat{{}}

// output is the formats of the files task t produces; nil for a task that
// produces none or fails.
func (p *needsPlan) output(t *jobspec.Task) []fileFormat {
	if files, ok := p.files[t.Name]; ok {
		return files
	}
	if p.busy[t.Name] {
		return unknown // a cycle, which Validate refuses
	}
	p.busy[t.Name] = true
	files := p.produce(t)
	delete(p.busy, t.Name)
	p.files[t.Name] = files
	return files
}

func (p *needsPlan) produce(t *jobspec.Task) []fileFormat {
	switch t.Operation {
	case jobspec.OpImportURL:
		// importURL: the filename field, else the response's name, else
		// the URL's.
		if fn, _ := t.String("filename"); fn != "" {
			return []fileFormat{{format: placedFormat(fetch.SanitizeFileName(fn))}}
		}
		raw, _ := t.String("url")
		u, err := url.Parse(raw)
		if err != nil {
			return unknown
		}
		return []fileFormat{{format: placedFormat(fetch.FileName("", u)), guess: true}}
	case jobspec.OpImportBase64, jobspec.OpImportRaw:
		fn, _ := t.String("filename")
		return []fileFormat{{format: placedFormat(fetch.SanitizeFileName(fn))}}
	case jobspec.OpImportS3:
		// importS3: one object named by filename or its key's last
		// segment, or every object under key_prefix.
		loc, err := jobspec.ParseS3(t)
		if err != nil || loc.Key == "" {
			return unknown
		}
		name := path.Base(loc.Key)
		if loc.Filename != "" {
			name = loc.Filename
		}
		return []fileFormat{{format: placedFormat(fetch.SanitizeFileName(name))}}
	case jobspec.OpExportS3:
		return p.inputFiles(t) // the files it uploaded
	case jobspec.OpExportURL:
		if multi, _ := t.Bool("archive_multiple_files"); multi {
			return unknown // a zip of several files, or the one file
		}
		return p.inputFiles(t)
	}
	if !isEngineOp(t.Operation) {
		return nil // fails: UNSUPPORTED_OPERATION
	}
	// Engines name outputs by the filename option, else by the output
	// format (engine.OutputName); optimize keeps the input's format when
	// it names none.
	out, _ := t.String("output_format")
	out = engine.NormalizeFormat(out)
	if fn, _ := t.String("filename"); fn != "" {
		if name := engine.SanitizeName(fn, ""); name != "" {
			return []fileFormat{{format: engine.FormatOf(name)}}
		}
	}
	if out != "" {
		return []fileFormat{{format: out}}
	}
	if t.Operation != jobspec.OpOptimize {
		return unknown
	}
	return p.engineInputs(t)
}

// placedFormat is the format of an imported file called name: placeFile
// stores it under engine.SanitizeName of it.
func placedFormat(name string) string {
	return engine.FormatOf(engine.SanitizeName(name, "file"))
}
