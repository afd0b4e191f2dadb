package s3api

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"strings"
)

// algorithm is one of the checksums a PutObject may name: Content-MD5 or
// one of S3's flexible checksums (x-amz-checksum-*), each the base64 of
// the digest.
type algorithm struct {
	// header is the x-amz-checksum-* header that carries it, as answered
	// ("" for Content-MD5, which is not answered).
	header string
	label  string
	new    func() hash.Hash
}

var (
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
	// nvme is CRC-64/NVME's polynomial, reflected as hash/crc64 wants it.
	nvme = crc64.MakeTable(0x9a6c9329ac4bc9b5)

	md5Algorithm = algorithm{label: "Content-MD5", new: md5.New}
	algorithms   = map[string]algorithm{
		"x-amz-checksum-crc32":     {header: "X-Amz-Checksum-Crc32", label: "CRC32", new: func() hash.Hash { return crc32.NewIEEE() }},
		"x-amz-checksum-crc32c":    {header: "X-Amz-Checksum-Crc32c", label: "CRC32C", new: func() hash.Hash { return crc32.New(castagnoli) }},
		"x-amz-checksum-crc64nvme": {header: "X-Amz-Checksum-Crc64nvme", label: "CRC64NVME", new: func() hash.Hash { return crc64.New(nvme) }},
		"x-amz-checksum-sha1":      {header: "X-Amz-Checksum-Sha1", label: "SHA1", new: sha1.New},
		"x-amz-checksum-sha256":    {header: "X-Amz-Checksum-Sha256", label: "SHA256", new: sha256.New},
	}
)

// algorithmOf returns the algorithm a header or query parameter name
// carries, in any case.
func algorithmOf(name string) (algorithm, bool) {
	a, ok := algorithms[strings.ToLower(name)]
	return a, ok
}

// valid reports whether v is a base64 digest of the algorithm's size.
func (a algorithm) valid(v string) bool {
	b, err := base64.StdEncoding.DecodeString(v)
	return err == nil && len(b) == a.new().Size()
}

// empty is the algorithm's checksum of an empty body.
func (a algorithm) empty() string { return base64.StdEncoding.EncodeToString(a.new().Sum(nil)) }

// checksum is one checksum being computed over a body, and the value it
// must come to ("" when only computed, to be answered).
type checksum struct {
	alg  algorithm
	h    hash.Hash
	want string
	got  string
	// optional: want is checked only when it can be right, for a body
	// that is empty (see expectedChecksums).
	optional bool
}
