package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/caarlos0/env/v11"
)

// nameParseError rewrites the env library's "parse error on field X" into an
// error that names the variable, as an operator sees it. Nested settings
// (Fetch.Timeout, Upload.MaxBytes, ...) can share a field name, so every
// variable behind that field name that is set is named.
func nameParseError(err error, environ func(string) (string, bool)) error {
	var pe env.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	var keys []string
	for _, key := range envKeys(reflect.TypeOf(Config{}), Prefix)[pe.Name] {
		if _, set := environ(key); set {
			keys = append(keys, key)
		}
	}
	if len(keys) == 0 {
		return err
	}
	what := "value"
	if pe.Type != nil {
		what = pe.Type.String()
		switch pe.Type.Kind() {
		case reflect.Bool:
			what = "true or false"
		case reflect.Int, reflect.Int64:
			if pe.Type.String() == "time.Duration" {
				what = "a duration such as 30s or 5m"
			} else {
				what = "a whole number"
			}
		}
	}
	return fmt.Errorf("%s: want %s", strings.Join(keys, " or "), what)
}

// envKeys maps each field name of t to the variables that set it.
func envKeys(t reflect.Type, prefix string) map[string][]string {
	out := map[string][]string{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if p, ok := f.Tag.Lookup("envPrefix"); ok && f.Type.Kind() == reflect.Struct {
			for name, keys := range envKeys(f.Type, prefix+p) {
				out[name] = append(out[name], keys...)
			}
			continue
		}
		if tag, ok := f.Tag.Lookup("env"); ok {
			key, _, _ := strings.Cut(tag, ",")
			out[f.Name] = append(out[f.Name], prefix+key)
		}
	}
	return out
}
