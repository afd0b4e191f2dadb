package proxy

import (
	"net/http"
	"strings"

	"github.com/signedgate/gateway/internal/server"
	"github.com/signedgate/gateway/internal/verify/token"
)

// MediaPrefix is where the gateway's own host serves buckets.
const MediaPrefix = "/media/"

// CodeInvalidPath is the code of a request path refused as not canonical.
const CodeInvalidPath = "INVALID_PATH"

// splitMedia reads /media/{bucket}/{path...} from r's decoded path.
func splitMedia(r *http.Request) (bucketName, objPath string) {
	rest := strings.TrimPrefix(r.URL.Path, MediaPrefix)
	name, obj, _ := strings.Cut(rest, "/")
	return name, "/" + obj
}

// checkPath refuses any request path that an origin could read otherwise
// than the scope check does. It runs for public buckets too: a path that
// escapes the bucket is a problem whether or not a token is needed.
//
// r.URL.Path is decoded once. An encoded slash ("%2F") is invisible there
// but still in the escaped form, and an origin that decodes again would see
// a different path, so the escaped form is checked too; everything else
// (dot segments, double encoding, backslashes, NUL, bad UTF-8, empty
// segments) is token.CanonicalPath's job.
func checkPath(r *http.Request, objPath string) error {
	for _, raw := range []string{r.URL.RawPath, r.URL.EscapedPath()} {
		l := strings.ToLower(raw)
		if strings.Contains(l, "%2f") || strings.Contains(l, "%5c") {
			return invalidPath("the path contains an encoded slash or backslash")
		}
	}
	if objPath == "/" || objPath == "" {
		return server.NotFound("name a file inside the bucket")
	}
	if !token.CanonicalPath(objPath) {
		return invalidPath("the path is not canonical: it has a dot segment, an empty segment, a trailing slash, an escape left after decoding, or a control character")
	}
	// Hidden names are never delivered: a bucket directory also holds what
	// must not be public through this route (uploaded assets of type
	// authenticated or private, their metadata), and dotfiles such as .git
	// or .env are a classic leak of file-serving proxies.
	if strings.Contains(objPath, "/.") {
		return server.NotFound("no such object").WithHeader("Cache-Control", noStore)
	}
	return nil
}

func invalidPath(msg string) error {
	return server.BadRequest(CodeInvalidPath, "%s", msg).WithHeader("Cache-Control", noStore)
}
