package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signedgate/gateway/internal/testutil"
	"github.com/signedgate/gateway/internal/verify/urlsig"
)

// TestFullDiskAnswers507 runs an instance on a small real file system and
// fills it: admin writes and conversions are answered 507
// INSUFFICIENT_STORAGE, saying the disk is full, not 500; nothing already
// stored is lost; and once there is room again the same requests succeed.
func TestFullDiskAnswers507(t *testing.T) {
	disk := testutil.SmallDisk(t, 2<<20)
	work := filepath.Join(disk, "work")
	if err := os.Mkdir(work, 0o700); err != nil {
		t.Fatal(err)
	}
	in := start(t, map[string]string{"GATEWAY_DATA_DIR": disk, "GATEWAY_JOBS_WORK_DIR": work})
	const secret = "disk-full-test-secret-0123456789"
	if code, body := in.do(t, "POST", "/v1/signed-url-bases", `{"id":"full","base":"`+in.URL+`/full","signing_secret":"`+secret+`"}`); code != 201 {
		t.Fatalf("create base: %d %v", code, body)
	}
	job := `{"tasks":{"in":` + rawTask(strings.Repeat("a line of the document\n", 2000), "big.txt") +
		`,"out":{"operation":"export/url","input":"in"}}}`
	signed := urlsig.Sign(in.URL+"/full", secret, []byte(job), "")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	convert := func() (int, string) {
		resp, err := client.Get(signed)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}

	filler := testutil.FillDisk(t, disk)

	code, body := in.do(t, "POST", "/v1/signed-url-bases", `{"id":"later","base":"`+in.URL+`/later","signing_secret":"`+secret+`"}`)
	if code != http.StatusInsufficientStorage || body["code"] != "INSUFFICIENT_STORAGE" || !strings.Contains(body["message"].(string), "disk is full") {
		t.Errorf("admin write on a full disk: %d %v; want 507 INSUFFICIENT_STORAGE saying the disk is full", code, body)
	}
	status, answer := convert()
	var failed struct {
		Data struct {
			Tasks []struct {
				Name    string  `json:"name"`
				Code    *string `json:"code"`
				Message *string `json:"message"`
			} `json:"tasks"`
		} `json:"data"`
	}
	_ = json.Unmarshal([]byte(answer), &failed)
	codes := map[string]string{}
	for _, task := range failed.Data.Tasks {
		if task.Code != nil {
			codes[task.Name] = *task.Code
		}
	}
	if status != http.StatusInsufficientStorage || codes["in"] != "INSUFFICIENT_STORAGE" {
		t.Errorf("conversion on a full disk: %d %s; want 507 with task code INSUFFICIENT_STORAGE", status, answer)
	}

	// Room again: nothing was lost, and the same requests succeed.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if code, body := in.do(t, "GET", "/v1/signed-url-bases/full", ""); code != http.StatusOK {
		t.Errorf("the base stored before the disk filled: %d %v", code, body)
	}
	if code, body := in.do(t, "POST", "/v1/signed-url-bases", `{"id":"later","base":"`+in.URL+`/later","signing_secret":"`+secret+`"}`); code != 201 {
		t.Errorf("admin write with room again: %d %v", code, body)
	}
	if status, answer := convert(); status != http.StatusFound {
		t.Errorf("conversion with room again: %d %s", status, answer)
	}
}
