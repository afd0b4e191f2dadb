package jobspec

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
)

// hashVersion starts the hashed bytes, so a change to the canonical form
// makes new cache keys instead of colliding with old ones.
const hashVersion = "jobspec-canonical-v1\n"

// Hash is a stable SHA-256 (hex) of the job's canonical form, used in the
// result cache key: the same job spelled by two SDKs hashes the same, and
// any change a runner could notice, including task order, changes it.
func Hash(job *Job) (string, error) {
	c, err := job.Canonical()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(append([]byte(hashVersion), c...))
	return hex.EncodeToString(sum[:]), nil
}

// MarshalJSON writes the canonical form, which Decode reads back.
func (j *Job) MarshalJSON() ([]byte, error) { return j.Canonical() }

// Canonical is the job as compact JSON: tasks in job order, "operation"
// then "input" (always a list) then the other fields sorted, other
// top-level keys sorted after "tasks", null values left out, every value
// re-encoded from its parsed form so escapes and spacing do not matter.
//
// Numbers keep their literal spelling: 1 and 1.0 hash differently. A
// missed cache hit costs a conversion; treating two distinct numbers as
// one (beyond float64 precision) would serve the wrong file.
func (j *Job) Canonical() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"tasks":{`)
	for i, t := range j.Tasks {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(&b, t.Name)
		b.WriteString(`:{"operation":`)
		writeString(&b, t.Operation)
		if len(t.Input) > 0 {
			b.WriteString(`,"input":[`)
			for k, in := range t.Input {
				if k > 0 {
					b.WriteByte(',')
				}
				writeString(&b, in)
			}
			b.WriteByte(']')
		}
		if err := writeFields(&b, t.Fields); err != nil {
			return nil, &Error{Task: t.Name, Message: err.Error()}
		}
		b.WriteByte('}')
	}
	b.WriteByte('}')
	top := make(map[string]json.RawMessage, len(j.Extra)+2)
	for k, v := range j.Extra {
		top[k] = v
	}
	if j.Tag != "" {
		top["tag"], _ = json.Marshal(j.Tag)
	}
	if j.WebhookURL != "" {
		top["webhook_url"], _ = json.Marshal(j.WebhookURL)
	}
	delete(top, "tasks")
	if err := writeFields(&b, top); err != nil {
		return nil, err
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// writeFields appends ,"key":value for each non-null field in key order;
// it always follows a member already written.
func writeFields(b *bytes.Buffer, fields map[string]json.RawMessage) error {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v, err := canonicalValue(fields[k])
		if err != nil {
			return errorf("field %q: %v", k, err)
		}
		if string(v) == "null" {
			continue
		}
		b.WriteByte(',')
		writeString(b, k)
		b.WriteByte(':')
		b.Write(v)
	}
	return nil
}

// canonicalValue re-encodes raw from its parsed form: objects get sorted
// keys, strings one escaping, numbers their literal (json.Number).
func canonicalValue(raw json.RawMessage) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return marshal(v)
}

func writeString(b *bytes.Buffer, s string) {
	v, _ := marshal(s) // a string always encodes
	b.Write(v)
}

// marshal encodes without HTML escaping, which only makes the form harder
// to read; any fixed escaping would hash the same.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
