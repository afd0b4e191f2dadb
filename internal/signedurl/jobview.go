package signedurl

import (
	"encoding/json"
	"net/url"
	"path"
	"strings"

	"github.com/signedgate/gateway/internal/jobs/jobspec"
)

// jobView is what a person waiting for a job is shown of it, read from the
// job's status JSON (the API's shape).
type jobView struct {
	Status   string `json:"status"`
	Percent  int    `json:"percent"`
	Done     bool   `json:"done"`
	Location string `json:"location,omitempty"`
	Code     string `json:"code,omitempty"`
	Message  string `json:"message,omitempty"`
}

// viewOf reads status: the mean of the tasks' percents (an ended task
// counts as 100) and, for a failed job, the task that failed for its own
// reason.
func viewOf(status json.RawMessage) jobView {
	var st struct {
		Status string `json:"status"`
		Tasks  []struct {
			Status  string  `json:"status"`
			Percent int     `json:"percent"`
			Code    *string `json:"code"`
			Message *string `json:"message"`
		} `json:"tasks"`
	}
	_ = json.Unmarshal(status, &st) // an unreadable status shows as waiting
	v := jobView{Status: st.Status}
	if v.Status == "" {
		v.Status = "waiting"
	}
	sum := 0
	for _, t := range st.Tasks {
		switch t.Status {
		case "finished", "error":
			sum += 100
		default:
			sum += min(max(t.Percent, 0), 100)
		}
		if t.Status == "error" && v.Code == "" && t.Code != nil && *t.Code != "INPUT_TASK_FAILED" {
			v.Code = *t.Code
			if t.Message != nil {
				v.Message = *t.Message
			}
		}
	}
	if len(st.Tasks) > 0 {
		v.Percent = sum / len(st.Tasks)
	}
	v.Done = v.Status == "finished" || v.Status == "error"
	if v.Status == "finished" {
		v.Location = location(status)
	}
	return v
}

// describe names what a job makes, for the waiting page: the file name of
// its first import with the extension of its last conversion's output
// format ("report.pdf"), and that format ("PDF"). Either may be empty.
func describe(job *jobspec.Job) (name, format string) {
	for _, t := range job.Tasks {
		if !strings.HasPrefix(t.Operation, "import/") || name != "" {
			continue
		}
		if f, ok := t.String("filename"); ok {
			name = f
		} else if raw, ok := t.String("url"); ok {
			if u, err := url.Parse(raw); err == nil {
				name = path.Base(u.Path)
			}
		} else if k, ok := t.String("key"); ok {
			name = path.Base(k)
		}
	}
	for _, t := range job.Tasks {
		if f, ok := t.String("output_format"); ok && f != "" {
			format = strings.ToLower(f)
		}
	}
	if name == "/" || name == "." {
		name = ""
	}
	if name != "" && format != "" {
		name = strings.TrimSuffix(name, path.Ext(name)) + "." + format
	}
	return name, strings.ToUpper(format)
}
