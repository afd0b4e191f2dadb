package jobs

import (
	"context"
	"os"
	"time"

	"github.com/signedgate/gateway/internal/engine"
	"github.com/signedgate/gateway/internal/engine/archive"
	"github.com/signedgate/gateway/internal/jobs/jobspec"
)

// websiteFormat is the input format of capture-website in the registry, as
// in the formats listing of the CloudConvert API.
const websiteFormat = "website"

// convert runs an engine operation through the registry. convert,
// thumbnail and optimize take each input file on its own (they may differ in
// format); merge, archive and capture-website make one output of all.
func (s *Service) convert(ctx context.Context, j *Job, t *jobspec.Task, inputs []engine.File, dir string) (taskOutput, error) {
	opts := make(engine.Options, len(t.Fields))
	for k, v := range t.Fields {
		opts[k] = v
	}
	outFormat, _ := t.String("output_format")
	inFormat, _ := t.String("input_format")
	engineName, _ := t.String("engine")

	var groups [][]engine.File
	switch t.Operation {
	case jobspec.OpConvert, jobspec.OpThumbnail, jobspec.OpOptimize:
		for _, f := range inputs {
			groups = append(groups, []engine.File{f})
		}
	default:
		groups = [][]engine.File{inputs}
	}
	if len(inputs) == 0 && t.Operation != jobspec.OpCaptureWebsite {
		return taskOutput{}, failf(CodeInvalidInput, "the input tasks produced no files", nil)
	}

	var out taskOutput
	for gi, group := range groups {
		in := engine.NormalizeFormat(inFormat)
		switch {
		case t.Operation == jobspec.OpCaptureWebsite:
			in = websiteFormat
		case in == "" && len(group) > 0:
			in = engine.FormatOf(group[0].Name)
		}
		if in == "" && t.Operation != jobspec.OpArchive {
			return taskOutput{}, failf(CodeInvalidInput,
				"the format of "+quote(group[0].Name)+" is unknown (the name has no extension); set input_format", nil)
		}
		eng, err := s.deps.Registry.LookupNamed(engineName, t.Operation, in, outFormat)
		if err != nil {
			return taskOutput{}, err
		}
		n := len(groups)
		began := time.Now()
		res, err := eng.Run(ctx, engine.Request{
			Operation: t.Operation, InputFormat: in, OutputFormat: outFormat,
			Inputs: group, Options: opts, WorkDir: dir,
			Progress: func(p int) { j.progress(t.Name, (gi*100+p)/n) },
		})
		if s.deps.Metrics != nil {
			s.deps.Metrics.Conversion.WithLabelValues(eng.Name(), t.Operation).Observe(time.Since(began).Seconds())
		}
		if err != nil {
			return taskOutput{}, err
		}
		out.engine, out.version = eng.Name(), eng.Version()
		for _, f := range res.Files {
			st, err := os.Stat(f.Path)
			if err != nil {
				return taskOutput{}, failf(CodeInternal, "the engine's output is missing", err)
			}
			out.files = append(out.files, f)
			out.result = append(out.result, File{Filename: f.Name, Size: st.Size()})
		}
	}
	return out, nil
}

// exportURL stores the input files as outputs with signed URLs; with
// archive_multiple_files, several files become one zip first.
func (s *Service) exportURL(ctx context.Context, t *jobspec.Task, inputs []engine.File, dir string) (taskOutput, error) {
	if s.deps.Outputs == nil {
		return taskOutput{}, failf(CodeInternal, "output storage is not configured", nil)
	}
	if len(inputs) == 0 {
		return taskOutput{}, failf(CodeInvalidInput, "the input tasks produced no files", nil)
	}
	inline, _ := t.Bool("inline")
	multi, _ := t.Bool("archive_multiple_files")
	files := inputs
	if multi && len(files) > 1 {
		f, zipped, err := engine.CreateOutput(dir, "archive.zip")
		if err != nil {
			return taskOutput{}, err
		}
		err = archive.Write(ctx, "zip", files, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return taskOutput{}, err
		}
		files = []engine.File{zipped}
	}
	var out taskOutput
	for _, f := range files {
		o, err := s.deps.Outputs.PutFile(ctx, f.Path, f.Name, inline)
		if err != nil {
			return taskOutput{}, failf(CodeInternal, "the gateway could not store the output", err)
		}
		out.files = append(out.files, f)
		out.result = append(out.result, File{Filename: o.Name, Size: o.Size, URL: o.URL})
	}
	return out, nil
}
