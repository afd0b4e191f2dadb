package uploadsig

import (
	"cmp"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Params holds request parameters after array folding: one string per name.
// It keeps every parameter, including the ones excluded from signing (file,
// api_key, signature, ...), because the upload handler reads its options from
// the same map that was verified. Reading options from anywhere else would
// let an unsigned spelling of a parameter slip past the signature.
type Params map[string]string

// excluded are the parameters that never take part in the string to sign.
var excluded = map[string]bool{
	"file":          true,
	"cloud_name":    true,
	"resource_type": true,
	"api_key":       true,
	"signature":     true,
}

// Spellings of one array parameter, in the order their values are folded.
const (
	rankPlain   = iota // tags=a,b (pre-joined) or repeated tags=
	rankBracket        // tags[]=a&tags[]=b (Node, Java)
	rankIndexed        // tags[0]=a&tags[1]=b (Go)
)

// maxIndexDigits keeps indices in int range on every platform.
const maxIndexDigits = 9

// Collect folds form values into Params. Arrays arrive as repeated name[]
// fields, as name[0], name[1], ... (ordered by numeric index, so name[10]
// follows name[9]) or pre-joined; each becomes one value joined with ",".
//
// If a client mixes spellings for the same name, values are folded plain
// first, then name[], then indexed. The order is arbitrary but fixed, and
// since the handler uses the folded value that was verified, mixing cannot
// change what is stored without breaking the signature.
//
// Keys like name[01] or name[alt] are not array spellings and stay as they
// are; accepting leading zeros would make two keys share an index.
func Collect(values url.Values) Params {
	type piece struct {
		rank, index int
		vals        []string
	}
	groups := make(map[string][]piece, len(values))
	for key, vals := range values {
		base, rank, index := splitArrayKey(key)
		groups[base] = append(groups[base], piece{rank, index, vals})
	}
	p := make(Params, len(groups))
	for base, pieces := range groups {
		// Every (rank, index) pair maps to exactly one key, so this order
		// does not depend on map iteration.
		slices.SortFunc(pieces, func(a, b piece) int {
			return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.index, b.index))
		})
		var all []string
		for _, pc := range pieces {
			all = append(all, pc.vals...)
		}
		p[base] = strings.Join(all, ",")
	}
	return p
}

// splitArrayKey recognises name[] and name[N]; anything else is plain.
func splitArrayKey(key string) (base string, rank, index int) {
	open := strings.LastIndexByte(key, '[')
	if open <= 0 || !strings.HasSuffix(key, "]") {
		return key, rankPlain, 0
	}
	inner := key[open+1 : len(key)-1]
	if inner == "" {
		return key[:open], rankBracket, 0
	}
	if len(inner) > maxIndexDigits || (len(inner) > 1 && inner[0] == '0') {
		return key, rankPlain, 0
	}
	for i := 0; i < len(inner); i++ {
		if inner[i] < '0' || inner[i] > '9' {
			return key, rankPlain, 0
		}
	}
	n, err := strconv.Atoi(inner)
	if err != nil {
		return key, rankPlain, 0
	}
	return key[:open], rankIndexed, n
}

// StringToSign builds the string the client signed, without the secret.
// Version 1 is the escaping of older SDKs; any other version gets the
// current (version 2) rule, where "&" inside a key=value becomes "%26" so a
// value cannot forge an extra parameter.
func StringToSign(p Params, version int) string {
	keys := make([]string, 0, len(p))
	for k, v := range p {
		if v == "" || excluded[k] {
			continue
		}
		keys = append(keys, k)
	}
	slices.Sort(keys) // byte order, as the SDKs sort
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		pair := k + "=" + p[k]
		if version != 1 {
			pair = strings.ReplaceAll(pair, "&", "%26")
		}
		b.WriteString(pair)
	}
	return b.String()
}
