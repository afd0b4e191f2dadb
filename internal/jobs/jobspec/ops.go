package jobspec

// Operations the gateway runs.
const (
	OpImportURL      = "import/url"
	OpImportBase64   = "import/base64"
	OpImportRaw      = "import/raw"
	OpImportS3       = "import/s3"
	OpConvert        = "convert"
	OpOptimize       = "optimize"
	OpThumbnail      = "thumbnail"
	OpCaptureWebsite = "capture-website"
	OpMerge          = "merge"
	OpArchive        = "archive"
	OpExportURL      = "export/url"
	OpExportS3       = "export/s3"
)

var supported = map[string]bool{
	OpImportURL: true, OpImportBase64: true, OpImportRaw: true, OpImportS3: true,
	OpConvert: true, OpOptimize: true, OpThumbnail: true,
	OpCaptureWebsite: true, OpMerge: true, OpArchive: true,
	OpExportURL: true, OpExportS3: true,
}

// recognised are operations of the CloudConvert API the gateway does not
// run. They decode and validate, so the runner can answer a clear
// "not supported" for the task instead of "unknown operation", which
// would suggest a typo to someone who copied a working job.
var recognised = map[string]bool{
	"import/upload": true, "import/azure/blob": true,
	"import/google-cloud-storage": true, "import/openstack": true, "import/sftp": true,
	"watermark": true, "metadata": true, "metadata/write": true, "command": true,
	"export/upload": true, "export/azure/blob": true,
	"export/google-cloud-storage": true, "export/openstack": true, "export/sftp": true,
}

// Known reports whether op is an operation of the API, run here or not.
func Known(op string) bool { return supported[op] || recognised[op] }

// Supported reports whether the gateway runs op.
func Supported(op string) bool { return supported[op] }

// checkFields enforces the spec's table of required fields for the
// operations the gateway runs; it knows too little about the others to
// refuse anything in them.
func checkFields(t *Task) error {
	var required []string
	switch t.Operation {
	case OpImportS3, OpExportS3:
		_, err := ParseS3(t)
		return err
	case OpImportURL:
		required = []string{"url"}
	case OpImportBase64, OpImportRaw:
		required = []string{"file", "filename"}
	case OpConvert, OpThumbnail, OpMerge, OpArchive:
		required = []string{"output_format"}
	case OpCaptureWebsite:
		required = []string{"url", "output_format"}
	}
	for _, f := range required {
		if _, ok := t.String(f); !ok {
			if t.Has(f) {
				return taskErrorf(t.Name, "field %q must be a string", f)
			}
			return taskErrorf(t.Name, "%s needs field %q", t.Operation, f)
		}
	}
	switch t.Operation {
	case OpConvert, OpOptimize, OpThumbnail, OpArchive, OpExportURL:
		if len(t.Input) == 0 {
			return taskErrorf(t.Name, "%s needs field \"input\"", t.Operation)
		}
	case OpMerge:
		if len(t.Input) < 2 {
			return taskErrorf(t.Name, "merge needs at least 2 input tasks, got %d", len(t.Input))
		}
	}
	switch t.Operation {
	case OpMerge:
		return oneOf(t, "output_format", "pdf")
	case OpArchive:
		return oneOf(t, "output_format", "zip", "tar", "tar.gz")
	case OpThumbnail:
		return oneOf(t, "fit", "max", "crop", "scale")
	case OpExportURL:
		for _, f := range []string{"inline", "archive_multiple_files"} {
			if _, ok := t.Bool(f); t.Has(f) && !ok {
				return taskErrorf(t.Name, "field %q must be true or false", f)
			}
		}
	}
	return nil
}

// oneOf checks an optional string field against its allowed values.
func oneOf(t *Task, field string, allowed ...string) error {
	if !t.Has(field) {
		return nil
	}
	v, _ := t.String(field)
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return taskErrorf(t.Name, "field %q must be one of %q", field, allowed)
}
