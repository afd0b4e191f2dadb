package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// Where one conversion's time goes, from the client's clock and the job's
// own timestamps (the gateways stamp them with the same wall clock).
var segments = []struct{ key, name string }{
	{"submit", "request → job created (verify, decode)"},
	{"queue", "job created → started (state, enqueue, take)"},
	{"import", "import/base64 task"},
	{"convert", "convert task (LibreOffice)"},
	{"export", "export/url task"},
	{"between", "rest of the run (between and around tasks)"},
	{"answer", "job ended → 302 received (final state, notify, answer)"},
	{"download", "302 → PDF downloaded"},
}

type jobTimes struct {
	Data struct {
		CreatedAt time.Time  `json:"created_at"`
		StartedAt *time.Time `json:"started_at"`
		EndedAt   *time.Time `json:"ended_at"`
		Tasks     []struct {
			Name      string     `json:"name"`
			StartedAt *time.Time `json:"started_at"`
			EndedAt   *time.Time `json:"ended_at"`
		} `json:"tasks"`
	} `json:"data"`
}

// breakdown reads each sample's job from g (GET /v1/jobs/{id}) and returns
// the median and the maximum of every segment, and under "outside" those of
// each conversion's time outside its convert task.
func (b *bench) breakdown(g *gw, samples []sample) (med, most map[string]time.Duration, err error) {
	parts := map[string][]time.Duration{}
	for _, s := range samples {
		req, _ := http.NewRequest("GET", g.url+"/v1/jobs/"+s.jobID, nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := b.client.Do(req)
		if err != nil {
			return nil, nil, err
		}
		var jt jobTimes
		err = json.NewDecoder(resp.Body).Decode(&jt)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return nil, nil, fmt.Errorf("job %s: %d %v", s.jobID, resp.StatusCode, err)
		}
		j := jt.Data
		if j.StartedAt == nil || j.EndedAt == nil {
			return nil, nil, fmt.Errorf("job %s has not ended", s.jobID)
		}
		parts["submit"] = append(parts["submit"], j.CreatedAt.Sub(s.sent))
		parts["queue"] = append(parts["queue"], j.StartedAt.Sub(j.CreatedAt))
		var inTasks, convert time.Duration
		for _, t := range j.Tasks {
			if t.StartedAt == nil || t.EndedAt == nil {
				continue
			}
			d := t.EndedAt.Sub(*t.StartedAt)
			inTasks += d
			switch t.Name {
			case "in":
				parts["import"] = append(parts["import"], d)
			case "pdf":
				convert = d
				parts["convert"] = append(parts["convert"], d)
			case "out":
				parts["export"] = append(parts["export"], d)
			}
		}
		parts["between"] = append(parts["between"], j.EndedAt.Sub(*j.StartedAt)-inTasks)
		parts["answer"] = append(parts["answer"], s.got302.Sub(*j.EndedAt))
		parts["download"] = append(parts["download"], s.done.Sub(s.got302))
		parts["outside"] = append(parts["outside"], s.total-convert)
	}
	med, most = map[string]time.Duration{}, map[string]time.Duration{}
	for k, v := range parts {
		slices.Sort(v)
		med[k], most[k] = pct(v, 50), v[len(v)-1]
	}
	return med, most, nil
}
