package engine

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// Options are a task's JSON fields other than operation and input, as decoded
// by encoding/json (numbers as float64 or json.Number). The SDKs are loose
// about types (some send "400" for 400), so the accessors accept a number's
// string form too. Each accessor returns the zero value and no error for a
// missing or null key, and an INVALID_INPUT *Error naming the key for a value
// of the wrong type.
type Options map[string]any

// Has reports whether key is present and not null.
func (o Options) Has(key string) bool {
	v, ok := o[key]
	return ok && v != nil
}

// String returns a string option. Numbers and booleans are not accepted: a
// file name or mode given as a number is a client bug worth reporting.
func (o Options) String(key string) (string, error) {
	switch v := o.value(key).(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	default:
		return "", optionError(key, "a string")
	}
}

// Int returns an integer option. Floats with a fractional part and values
// beyond ±2^31 are refused, so callers can multiply two options safely.
func (o Options) Int(key string) (int, error) {
	f, err := o.number(key, "an integer")
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 {
		return 0, optionError(key, "an integer")
	}
	return int(f), nil
}

// Float returns a numeric option.
func (o Options) Float(key string) (float64, error) {
	return o.number(key, "a number")
}

// Bool returns a boolean option; "true"/"false" and "1"/"0" strings and the
// numbers 1 and 0 are accepted as well.
func (o Options) Bool(key string) (bool, error) {
	switch v := o.value(key).(type) {
	case nil:
		return false, nil
	case bool:
		return v, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true", "1":
			return true, nil
		case "false", "0", "":
			return false, nil
		}
	case float64:
		if v == 0 || v == 1 {
			return v == 1, nil
		}
	case json.Number:
		switch v {
		case "0":
			return false, nil
		case "1":
			return true, nil
		}
	}
	return false, optionError(key, "a boolean")
}

// value returns the option with json.RawMessage decoded, so Options built from
// map[string]json.RawMessage work too.
func (o Options) value(key string) any {
	v := o[key]
	if raw, ok := v.(json.RawMessage); ok {
		var decoded any
		if json.Unmarshal(raw, &decoded) != nil {
			return raw
		}
		return decoded
	}
	return v
}

func (o Options) number(key, want string) (float64, error) {
	var f float64
	switch v := o.value(key).(type) {
	case nil:
		return 0, nil
	case float64:
		f = v
	case float32:
		f = float64(v)
	case int:
		f = float64(v)
	case int64:
		f = float64(v)
	case json.Number:
		return parseNumber(key, want, string(v))
	case string:
		return parseNumber(key, want, strings.TrimSpace(v))
	default:
		return 0, optionError(key, want)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, optionError(key, want)
	}
	return f, nil
}

func parseNumber(key, want, s string) (float64, error) {
	if s == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, optionError(key, want)
	}
	return f, nil
}

func optionError(key, want string) *Error {
	return Errorf(CodeInvalidInput, "option %s must be %s", key, want)
}
