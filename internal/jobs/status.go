package jobs

import (
	"net/http"
	"time"

	"github.com/signedgate/gateway/internal/jobs/jobspec"
)

// Statuses of a job and of each task, as the API spells them.
const (
	StatusWaiting    = "waiting"
	StatusProcessing = "processing"
	StatusFinished   = "finished"
	StatusError      = "error"
)

// Status is a snapshot of a job in the API's JSON shape. It holds only
// exported, JSON-visible data, so a snapshot that was stored (for a
// cache_key) and read back answers every method the same way.
type Status struct {
	ID        string       `json:"id"`
	Tag       string       `json:"tag"`
	Status    string       `json:"status"`
	CreatedAt time.Time    `json:"created_at"`
	StartedAt *time.Time   `json:"started_at"`
	EndedAt   *time.Time   `json:"ended_at"`
	Tasks     []TaskStatus `json:"tasks"`
}

// TaskStatus is one task of a Status.
type TaskStatus struct {
	ID               string     `json:"id"`
	Name             string     `json:"name"`
	JobID            string     `json:"job_id"`
	Operation        string     `json:"operation"`
	Status           string     `json:"status"`
	Code             *string    `json:"code"`
	Message          *string    `json:"message"`
	Percent          int        `json:"percent"`
	Engine           *string    `json:"engine"`
	EngineVersion    *string    `json:"engine_version"`
	DependsOnTaskIDs []string   `json:"depends_on_task_ids"`
	Result           *Result    `json:"result"`
	CreatedAt        time.Time  `json:"created_at"`
	StartedAt        *time.Time `json:"started_at"`
	EndedAt          *time.Time `json:"ended_at"`
}

// Result lists a task's files.
type Result struct {
	Files []File `json:"files"`
}

// File is one file of a task's result. URL is set only on export/url
// results: other files live in the job's work directory and go with it.
type File struct {
	Filename string `json:"filename"`
	Size     int64  `json:"size"`
	URL      string `json:"url,omitempty"`
}

// Failed reports whether the job ended in error.
func (s Status) Failed() bool { return s.Status == StatusError }

// RedirectURL is the first file of the first finished export/url task: where
// a signed URL sends the user.
func (s Status) RedirectURL() (string, bool) {
	for _, t := range s.Tasks {
		if t.Operation != jobspec.OpExportURL || t.Status != StatusFinished || t.Result == nil {
			continue
		}
		for _, f := range t.Result.Files {
			if f.URL != "" {
				return f.URL, true
			}
		}
	}
	return "", false
}

// FailureHTTPStatus is the status a failed job is answered with. The first
// task that failed for its own reason (not INPUT_TASK_FAILED) decides: the
// input's faults (bad file, unsupported conversion or operation, refused or
// failed import) are 422, so clients do not retry them; a timeout is 504;
// the gateway's own faults are 500, a full disk 507, and a job cut short by
// shutdown or lost 503.
func (s Status) FailureHTTPStatus() int {
	code := ""
	for _, t := range s.Tasks {
		if t.Status == StatusError && t.Code != nil && *t.Code != CodeInputTaskFailed {
			code = *t.Code
			break
		}
	}
	switch code {
	case CodeTimeout:
		return http.StatusGatewayTimeout
	case CodeCancelled, CodeJobLost:
		return http.StatusServiceUnavailable
	case CodeInsufficientStorage:
		return http.StatusInsufficientStorage
	case CodeInternal, CodeConversionFailed, "":
		return http.StatusInternalServerError
	default:
		if inputFault[code] {
			return http.StatusUnprocessableEntity
		}
		return http.StatusInternalServerError
	}
}
