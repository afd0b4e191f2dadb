package upload

import (
	"net/http"

	"github.com/signedgate/gateway/internal/verify/uploadsig"
)

func (s *Service) chunk(w http.ResponseWriter, r *http.Request, t target, rtype string, p uploadsig.Params, b *body, cr string) error {
	return badRequest("Chunked uploads are not supported yet")
}
