package admin

import (
	"strings"
	"unicode"

	"github.com/signedgate/gateway/internal/server"
)

// MaxNameLen bounds the free-text name records may carry (keys, access
// keys).
const MaxNameLen = 200

// CheckName refuses a record's name that is too long or has control
// characters; nil (no name) is fine.
func CheckName(name *string) error {
	if name == nil {
		return nil
	}
	if len(*name) > MaxNameLen {
		return server.Invalid("name is longer than %d bytes", MaxNameLen)
	}
	if strings.IndexFunc(*name, unicode.IsControl) >= 0 {
		return server.Invalid("name must not contain control characters")
	}
	return nil
}

// Truncate shortens what a client sent, such as an id, for a message.
func Truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
