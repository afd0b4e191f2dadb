package uploadsig

import "fmt"

// Kind classifies an Error without tying this package to HTTP. The server
// maps BadRequest to 400 and Unauthorized to 401, the two statuses for which
// the Node SDK reads the JSON error message.
type Kind int

const (
	// BadRequest means the request is malformed: a missing, unparsable or
	// stale parameter.
	BadRequest Kind = iota + 1
	// Unauthorized means the request is well formed but not signed by the
	// holder of the secret.
	Unauthorized
)

func (k Kind) String() string {
	switch k {
	case BadRequest:
		return "bad request"
	case Unauthorized:
		return "unauthorized"
	default:
		return fmt.Sprintf("Kind(%d)", int(k))
	}
}

// Error is a refusal whose Message is safe to show to the client verbatim;
// users debug their signing code with it, so it matches Cloudinary's text.
type Error struct {
	Kind    Kind
	Message string
	// StringToSign is set on signature failures: the version 2 string the
	// server expected to be signed, without the secret.
	StringToSign string
}

func (e *Error) Error() string { return e.Message }

func missingParam(name string) *Error {
	return &Error{Kind: BadRequest, Message: "Missing required parameter - " + name}
}

func invalidSignature(sent, stringToSign string) *Error {
	return &Error{
		Kind:         Unauthorized,
		Message:      fmt.Sprintf("Invalid Signature %s. String to sign - '%s'.", sent, stringToSign),
		StringToSign: stringToSign,
	}
}
