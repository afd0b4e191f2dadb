package verify

import (
	"errors"
	"fmt"
	"testing"
)

func TestRefusal(t *testing.T) {
	r := Refuse(403, "INVALID_SIGNATURE", "invalid signature")
	wrapped := fmt.Errorf("check link: %w", r)
	var got *Refusal
	if !errors.As(wrapped, &got) || got != r {
		t.Fatalf("errors.As did not find the refusal in %v", wrapped)
	}
	if got.Status() != 403 || got.Code() != "INVALID_SIGNATURE" || got.Error() != "invalid signature" {
		t.Errorf("got %d %q %q", got.Status(), got.Code(), got.Error())
	}
}
