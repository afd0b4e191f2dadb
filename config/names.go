package config

import (
	"reflect"
	"strings"
)

// Names lists every variable the gateway reads, GATEWAY_ prefix included,
// in the order of the Config struct. The docs test and the deployment
// tests (deploy/) hold the README, docs/ and docker-compose.yml to it.
func Names() []string {
	return envNames(reflect.TypeFor[Config](), Prefix)
}

// envNames lists every variable t reads, with prefix.
func envNames(t reflect.Type, prefix string) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if p, ok := f.Tag.Lookup("envPrefix"); ok {
			out = append(out, envNames(f.Type, prefix+p)...)
			continue
		}
		if name, ok := f.Tag.Lookup("env"); ok {
			out = append(out, prefix+strings.Split(name, ",")[0])
		}
	}
	return out
}
