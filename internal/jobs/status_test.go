package jobs

import (
	"encoding/json"
	"net/http"
	"reflect"
	"sort"
	"testing"
	"time"
)

func TestStatusJSONShape(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	s := h.run(t, `{"tag":"invoice-7","tasks":{
		"in":{"operation":"import/raw","file":"hello","filename":"a.txt"},
		"w":{"operation":"metadata","input":"in"},
		"out":{"operation":"export/url","input":"in"}}}`)
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if got, want := sortedKeys(m), []string{"created_at", "ended_at", "id", "started_at", "status", "tag", "tasks"}; !reflect.DeepEqual(got, want) {
		t.Errorf("job keys %v, want %v", got, want)
	}
	if m["tag"] != "invoice-7" || m["status"] != StatusError {
		t.Errorf("tag %v status %v", m["tag"], m["status"])
	}
	for _, k := range []string{"created_at", "started_at", "ended_at"} {
		ts, _ := m[k].(string)
		p, err := time.Parse(time.RFC3339, ts)
		if err != nil || p.Location() != time.UTC || ts[len(ts)-1] != 'Z' {
			t.Errorf("%s = %q is not ISO-8601 UTC", k, ts)
		}
	}
	tasks := m["tasks"].([]any)
	if len(tasks) != 3 {
		t.Fatalf("%d tasks", len(tasks))
	}
	wantTask := []string{"code", "created_at", "depends_on_task_ids", "ended_at", "engine", "engine_version",
		"id", "job_id", "message", "name", "operation", "percent", "result", "started_at", "status"}
	names := []string{}
	for _, raw := range tasks {
		task := raw.(map[string]any)
		names = append(names, task["name"].(string))
		if got := sortedKeys(task); !reflect.DeepEqual(got, wantTask) {
			t.Errorf("task keys %v, want %v", got, wantTask)
		}
		if task["job_id"] != m["id"] {
			t.Errorf("job_id %v, want %v", task["job_id"], m["id"])
		}
	}
	if !reflect.DeepEqual(names, []string{"in", "w", "out"}) {
		t.Errorf("task order %v, want the job's order", names)
	}
	in, w, out := tasks[0].(map[string]any), tasks[1].(map[string]any), tasks[2].(map[string]any)
	if in["code"] != nil || in["message"] != nil || in["percent"] != float64(100) {
		t.Errorf("finished task: %v", in)
	}
	if w["code"] != CodeUnsupportedOperation || w["result"] != nil {
		t.Errorf("failed task: %v", w)
	}
	if deps := out["depends_on_task_ids"].([]any); len(deps) != 1 || deps[0] != in["id"] {
		t.Errorf("depends_on_task_ids %v, want [%v]", deps, in["id"])
	}
	files := out["result"].(map[string]any)["files"].([]any)
	f := files[0].(map[string]any)
	if f["filename"] != "a.txt" || f["size"] != float64(5) || f["url"] == "" {
		t.Errorf("file %v", f)
	}

	// A stored snapshot answers the same after a JSON round trip.
	var back Status
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	u1, ok1 := s.RedirectURL()
	u2, ok2 := back.RedirectURL()
	if u1 != u2 || ok1 != ok2 || back.FailureHTTPStatus() != s.FailureHTTPStatus() || back.Failed() != s.Failed() {
		t.Errorf("round trip changed the answers")
	}
}

func sortedKeys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func TestFailureHTTPStatus(t *testing.T) {
	failed := func(codes ...string) Status {
		s := Status{Status: StatusError}
		for _, c := range codes {
			c := c
			s.Tasks = append(s.Tasks, TaskStatus{Status: StatusError, Code: &c})
		}
		return s
	}
	tests := []struct {
		name string
		s    Status
		want int
	}{
		{"forbidden import", failed("FORBIDDEN_ADDRESS", CodeInputTaskFailed), 422},
		{"upstream 404", failed("UPSTREAM_STATUS"), 422},
		{"unsupported conversion", failed(CodeUnsupportedConv), 422},
		{"unsupported operation", failed(CodeUnsupportedOperation), 422},
		{"bad input", failed(CodeInvalidInput), 422},
		{"too large", failed(CodeTooLarge), 422},
		{"S3 credentials refused", failed(CodeAccessDenied), 422},
		{"S3 bucket missing", failed(CodeBucketNotFound), 422},
		{"S3 object missing", failed(CodeObjectNotFound), 422},
		{"S3 bucket without ACLs", failed(CodeACLNotSupported), 422},
		{"input failure listed first", failed(CodeInputTaskFailed, CodeInvalidInput), 422},
		{"timeout", failed(CodeTimeout), http.StatusGatewayTimeout},
		{"shutdown", failed(CodeCancelled), http.StatusServiceUnavailable},
		{"engine crash", failed(CodeConversionFailed), 500},
		{"gateway fault", failed(CodeInternal), 500},
		{"unknown code", failed("SOMETHING_NEW"), 500},
	}
	for _, tt := range tests {
		if got := tt.s.FailureHTTPStatus(); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}
