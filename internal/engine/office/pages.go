package office

import (
	"errors"
	"strconv"
	"strings"
)

// Limits of the pages option: enough for any real selection, small enough
// that a hostile value cannot make the helper build a huge range string.
const (
	maxPageRanges = 100
	maxPage       = 1_000_000
)

// parsePages parses a page selection such as "1-3", "2", "1,3,5-7" or "4-"
// (from page 4 to the end) into [first, last] pairs, last 0 meaning the
// last page. Pages count from 1; spaces are ignored.
func parsePages(s string) ([][2]int, error) {
	s = strings.ReplaceAll(s, " ", "")
	if s == "" {
		return nil, errors.New("is empty")
	}
	parts := strings.Split(s, ",")
	if len(parts) > maxPageRanges {
		return nil, errors.New("has too many ranges")
	}
	ranges := make([][2]int, 0, len(parts))
	for _, part := range parts {
		first, last, isRange := strings.Cut(part, "-")
		a, err := pageNumber(first)
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if last == "" {
				b = 0
			} else if b, err = pageNumber(last); err != nil {
				return nil, err
			} else if b < a {
				return nil, errors.New("has a range that ends before it starts: " + strconv.Quote(part))
			}
		}
		ranges = append(ranges, [2]int{a, b})
	}
	return ranges, nil
}

func pageNumber(s string) (int, error) {
	if s == "" || len(s) > 7 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, errors.New("must be page numbers and ranges such as 1-3,5")
	}
	n, _ := strconv.Atoi(s)
	if n < 1 || n > maxPage {
		return 0, errors.New("must count pages from 1")
	}
	return n, nil
}
