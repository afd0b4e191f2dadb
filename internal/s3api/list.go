package s3api

import (
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/signedgate/gateway/internal/bucket"
)

// maxKeys is S3's default and largest page of a listing.
const maxKeys = 1000

type listObject struct {
	Key          string `xml:"Key"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
	StorageClass string `xml:"StorageClass"`
}

type commonPrefix struct {
	Prefix string `xml:"Prefix"`
}

// listResult is ListObjectsV2's answer, and ListObjects' with the marker
// fields instead of the continuation ones.
type listResult struct {
	XMLName               xml.Name       `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
	Name                  string         `xml:"Name"`
	Prefix                string         `xml:"Prefix"`
	Marker                *string        `xml:"Marker,omitempty"`
	NextMarker            string         `xml:"NextMarker,omitempty"`
	StartAfter            string         `xml:"StartAfter,omitempty"`
	ContinuationToken     string         `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string         `xml:"NextContinuationToken,omitempty"`
	KeyCount              *int           `xml:"KeyCount,omitempty"`
	MaxKeys               int            `xml:"MaxKeys"`
	Delimiter             string         `xml:"Delimiter,omitempty"`
	EncodingType          string         `xml:"EncodingType,omitempty"`
	IsTruncated           bool           `xml:"IsTruncated"`
	Contents              []listObject   `xml:"Contents"`
	CommonPrefixes        []commonPrefix `xml:"CommonPrefixes"`
}

// listObjects answers ListObjectsV2 (list-type=2) and ListObjects: the
// keys under prefix after the start point, in key order, those with the
// delimiter after the prefix rolled up into common prefixes. Hidden keys
// (see validKey) are never listed.
func (h *Handler) listObjects(w http.ResponseWriter, r *http.Request, b bucket.Bucket, req request) error {
	q := req.query
	v2 := req.op == "ListObjectsV2"
	prefix, delim := q.Get("prefix"), q.Get("delimiter")
	limit := maxKeys
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return s3Error(http.StatusBadRequest, CodeInvalidArgument, "max-keys must be a number from 0")
		}
		limit = min(n, maxKeys)
	}
	encoding := q.Get("encoding-type")
	if encoding != "" && encoding != "url" {
		return s3Error(http.StatusBadRequest, CodeInvalidArgument, "Invalid Encoding Method specified in Request")
	}
	res := listResult{Name: b.Name, Prefix: prefix, MaxKeys: limit, Delimiter: delim, EncodingType: encoding}
	after := ""
	if v2 {
		res.StartAfter, after = q.Get("start-after"), q.Get("start-after")
		if tok := q.Get("continuation-token"); tok != "" {
			k, err := base64.RawURLEncoding.DecodeString(tok)
			if err != nil {
				return s3Error(http.StatusBadRequest, CodeInvalidArgument, "The continuation token provided is incorrect")
			}
			res.ContinuationToken, after = tok, string(k)
		}
	} else {
		m := q.Get("marker")
		res.Marker, after = &m, m
	}
	store, err := h.Stores.For(r.Context(), b)
	if err != nil {
		if err == ErrReadOnly {
			return notImplemented("Listing a bucket whose origin is an HTTP server")
		}
		return storeError(err)
	}
	// The store lists whole subtrees; the listing's prefix narrows that
	// to the deepest folder it names.
	storePrefix := prefix
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		storePrefix = prefix[:i+1]
	} else {
		storePrefix = ""
	}
	last := ""
	count := 0
	for info, err := range store.List(r.Context(), storePrefix) {
		if err != nil {
			return storeError(err)
		}
		key := info.Key
		if !strings.HasPrefix(key, prefix) || !validKey(key) {
			continue
		}
		entry := key
		isPrefix := false
		if delim != "" {
			if i := strings.Index(key[len(prefix):], delim); i >= 0 {
				entry, isPrefix = key[:len(prefix)+i+len(delim)], true
			}
		}
		if entry <= after || entry == last {
			continue // before the start, or a prefix already rolled up
		}
		if count == limit {
			res.IsTruncated = true
			break
		}
		count++
		last = entry
		if isPrefix {
			res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: entry})
			continue
		}
		res.Contents = append(res.Contents, listObject{
			Key: key, LastModified: info.ModTime.UTC().Format(time.RFC3339Nano), ETag: info.ETag,
			Size: info.Size, StorageClass: "STANDARD",
		})
	}
	if res.IsTruncated {
		if v2 {
			res.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(last))
		} else if delim != "" {
			res.NextMarker = last
		}
	}
	if v2 {
		res.KeyCount = &count
	}
	if encoding == "url" {
		res.encode()
	}
	writeXML(w, r, http.StatusOK, res)
	return nil
}

// encode URL-encodes the keys and prefixes of the answer, as
// encoding-type=url asks (keys may hold characters XML cannot carry).
func (res *listResult) encode() {
	enc := func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
	res.Prefix, res.Delimiter, res.StartAfter = enc(res.Prefix), enc(res.Delimiter), enc(res.StartAfter)
	if res.Marker != nil {
		m := enc(*res.Marker)
		res.Marker = &m
	}
	res.NextMarker = enc(res.NextMarker)
	for i := range res.Contents {
		res.Contents[i].Key = enc(res.Contents[i].Key)
	}
	for i := range res.CommonPrefixes {
		res.CommonPrefixes[i].Prefix = enc(res.CommonPrefixes[i].Prefix)
	}
}
