package jobspec

import "testing"

// A job as the "Download as PDF" buttons send it: import, convert, export.
const benchJob = `{"tasks":{"import-my-file":{"operation":"import/url","url":"https://example.com/files/report.docx"},` +
	`"convert-my-file":{"operation":"convert","input":"import-my-file","output_format":"pdf","pages":"1-3"},` +
	`"export-my-file":{"operation":"export/url","input":"convert-my-file","inline":true}},"tag":"bench"}`

func BenchmarkDecodeValidateHash(b *testing.B) {
	data := []byte(benchJob)
	b.ReportAllocs()
	for b.Loop() {
		job, err := Decode(data)
		if err != nil {
			b.Fatal(err)
		}
		if err := Validate(job); err != nil {
			b.Fatal(err)
		}
		if _, err := Hash(job); err != nil {
			b.Fatal(err)
		}
	}
}
