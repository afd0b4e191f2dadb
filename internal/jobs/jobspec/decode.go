package jobspec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// Decode reads a job in any SDK's spelling: compact or spaced, "\u00e9" or
// raw UTF-8, "\/" or "/", extra keys with null values, and an empty task
// list given as {} or as [] (PHP's json_encode of an empty array).
//
// It walks the tasks object token by token because a Go map would lose
// the order the tasks were written in. Duplicate keys are refused rather
// than resolved, so no reader can see a different job than this one.
// Decode checks shape only; Validate checks meaning.
func Decode(data []byte) (*Job, error) {
	if len(data) > MaxPayload {
		return nil, errorf("job is larger than %d bytes", MaxPayload)
	}
	// encoding/json would silently replace invalid UTF-8 with U+FFFD, so
	// two different payloads could decode, and hash, the same.
	if !utf8.Valid(data) {
		return nil, errorf("job is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	job := &Job{}
	seenTasks := false
	err := eachKey(dec, "job", func(key string) error {
		switch key {
		case "tasks":
			seenTasks = true
			return decodeTasks(dec, job)
		case "tag", "webhook_url":
			s, err := optionalString(dec, key)
			if key == "tag" {
				job.Tag = s
			} else {
				job.WebhookURL = s
			}
			return err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return syntaxError(err)
		}
		if string(raw) != "null" {
			if job.Extra == nil {
				job.Extra = map[string]json.RawMessage{}
			}
			job.Extra[key] = raw
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errorf("unexpected data after the job object")
	}
	if !seenTasks {
		return nil, errorf("job has no \"tasks\"")
	}
	return job, nil
}

func decodeTasks(dec *json.Decoder, job *Job) error {
	tok, err := dec.Token()
	if err != nil {
		return syntaxError(err)
	}
	if tok == json.Delim('[') {
		if dec.More() {
			return errorf("\"tasks\" must be an object of named tasks")
		}
		_, err := dec.Token() // the closing ]
		return syntaxError(err)
	}
	if tok != json.Delim('{') {
		return errorf("\"tasks\" must be an object of named tasks")
	}
	return eachKeyOpened(dec, "\"tasks\"", func(name string) error {
		if len(job.Tasks) == MaxTasks {
			return errorf("job has more than %d tasks", MaxTasks)
		}
		t, err := decodeTask(dec, name)
		if err != nil {
			return err
		}
		job.Tasks = append(job.Tasks, t)
		return nil
	})
}

func decodeTask(dec *json.Decoder, name string) (*Task, error) {
	t := &Task{Name: name, Fields: map[string]json.RawMessage{}}
	err := eachKey(dec, fmt.Sprintf("task %q", name), func(key string) error {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return syntaxError(err)
		}
		if string(raw) == "null" {
			return nil
		}
		switch key {
		case "operation":
			if json.Unmarshal(raw, &t.Operation) != nil {
				return taskErrorf(name, "\"operation\" must be a string")
			}
		case "input":
			in, err := decodeInput(raw)
			if err != nil {
				return taskErrorf(name, "%s", err.Error())
			}
			t.Input = in
		default:
			t.Fields[key] = raw
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if t.Operation == "" {
		return nil, taskErrorf(name, "missing \"operation\"")
	}
	return t, nil
}

func decodeInput(raw json.RawMessage) ([]string, error) {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, nil
	}
	var list []string
	if json.Unmarshal(raw, &list) != nil {
		return nil, errors.New("\"input\" must be a task name or a list of task names")
	}
	if len(list) == 0 {
		return nil, nil
	}
	return list, nil
}

func optionalString(dec *json.Decoder, key string) (string, error) {
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return "", syntaxError(err)
	}
	var s *string
	if json.Unmarshal(raw, &s) != nil {
		return "", errorf("%q must be a string", key)
	}
	if s == nil {
		return "", nil
	}
	return *s, nil
}

// eachKey reads an object and calls fn for each key, with the decoder
// positioned at the key's value; fn must consume the value.
func eachKey(dec *json.Decoder, what string, fn func(key string) error) error {
	tok, err := dec.Token()
	if err != nil {
		return syntaxError(err)
	}
	if tok != json.Delim('{') {
		return errorf("%s must be a JSON object", what)
	}
	return eachKeyOpened(dec, what, fn)
}

func eachKeyOpened(dec *json.Decoder, what string, fn func(key string) error) error {
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return syntaxError(err)
		}
		key := tok.(string) // Token only returns strings in key position
		if seen[key] {
			return errorf("key %q appears more than once in %s", key, what)
		}
		seen[key] = true
		if err := fn(key); err != nil {
			return err
		}
	}
	_, err := dec.Token() // the closing }
	return syntaxError(err)
}

// syntaxError turns a decoder error into an *Error; the decoder's own
// wording is about the client's input, so it is safe to show.
func syntaxError(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	if err == io.EOF {
		return errorf("job JSON ends too early")
	}
	return errorf("job is not valid JSON: %v", err)
}
