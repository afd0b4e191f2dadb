package origin

import (
	"io"
	"net/http"

	"github.com/signedgate/gateway/internal/server"
	"github.com/signedgate/gateway/internal/server/tcpmore"
)

// statusWriter turns http.ServeContent's plain-text refusals (416, 412) into
// the gateway's JSON errors, keeping the headers ServeContent chose (such as
// Content-Range: bytes */size), and passes everything else through,
// ReadFrom included, so that sendfile stays reachable.
type statusWriter struct {
	http.ResponseWriter
	r       *http.Request
	swallow bool // the refusal was written; drop ServeContent's text body
}

var refusals = map[int]server.ErrorBody{
	http.StatusRequestedRangeNotSatisfiable: {Code: CodeRangeNotSatisfiable,
		Message: "the requested range is outside the object; its size is in Content-Range"},
	http.StatusPreconditionFailed: {Code: CodePreconditionFailed,
		Message: "a precondition (If-Match or If-Unmodified-Since) does not hold for this object"},
}

func (s *statusWriter) WriteHeader(code int) {
	body, ok := refusals[code]
	if !ok || s.swallow {
		s.ResponseWriter.WriteHeader(code)
		return
	}
	s.swallow = true
	h := s.Header()
	h.Del("Content-Length")
	h.Del("Content-Security-Policy")
	if s.r.Method == http.MethodHead {
		h.Set("Content-Type", "application/json; charset=utf-8")
		s.ResponseWriter.WriteHeader(code)
		return
	}
	server.WriteJSON(s.ResponseWriter, code, body)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	if s.swallow {
		return len(p), nil
	}
	return s.ResponseWriter.Write(p)
}

func (s *statusWriter) ReadFrom(src io.Reader) (int64, error) {
	if s.swallow {
		return io.Copy(io.Discard, src)
	}
	// Flush the head first: net/http would otherwise copy the first 512
	// bytes of the body through its buffer (to sniff a type that is already
	// set), and sendfile would start mid-page. The head is held until the
	// body joins it in one segment (see tcpmore).
	ctx := s.r.Context()
	tcpmore.More(ctx)
	defer tcpmore.Flush(ctx)
	http.NewResponseController(s.ResponseWriter).Flush()
	return io.Copy(s.ResponseWriter, src)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
