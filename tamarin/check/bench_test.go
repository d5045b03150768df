package check

import (
	"testing"

	"github.com/edgelab/edgelab/tamarin/check/checktest"
)

// BenchmarkCheck100k replays a 100k-event synthetic OHTTP trace (14,286
// exchanges of 7 facts after one key publication, 1,000 clients) and
// evaluates every lemma for the relay.
func BenchmarkCheck100k(b *testing.B) {
	th := fixture(b)
	tr := checktest.Honest(14286, 1000, false)
	n := len(tr.Events)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep, err := Check(th, tr, Options{Adversary: []string{"relay"}})
		if err != nil {
			b.Fatal(err)
		}
		if !rep.OK() {
			b.Fatal(report(b, rep))
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkReplay100k is the replay alone.
func BenchmarkReplay100k(b *testing.B) {
	th := fixture(b)
	tr := checktest.Honest(14286, 1000, false)
	n := len(tr.Events)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run, err := New(th, tr, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if !run.Conformance().OK {
			b.Fatal(run.Conformance().Failure)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
