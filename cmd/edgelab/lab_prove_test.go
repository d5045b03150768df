package main

import "testing"

// A lemma proved as annotated on a helper the lab's budget cut short is
// unfinished, not wrong; on a helper that came out falsified it is wrong.
func TestLabCountsAProofOnACutHelperAsCutShort(t *testing.T) {
	for _, c := range []struct {
		restsOn []string
		got     string
		cut     bool
	}{
		{[]string{"channel_sources (timeout)"}, "verified", true},
		{[]string{"channel_sources (timeout)", "ek_secrecy (incomplete)"}, "verified", true},
		{[]string{"channel_sources (timeout)", "ek_secrecy (falsified)"}, "verified", false},
		{[]string{"ek_secrecy (failed)"}, "verified", false},
		{nil, "verified", false},
		{[]string{"channel_sources (timeout)"}, "falsified", false}, // not as annotated
	} {
		r := proveResultJSON{Expected: "verified", Got: c.got, RestsOn: c.restsOn}
		if got := restsOnlyOnCutHelpers(r); got != c.cut {
			t.Errorf("got %s resting on %v: cut short = %v, want %v", c.got, c.restsOn, got, c.cut)
		}
	}
}
