package activity

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

func TestLogLinesAndQuery(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, 5)
	t0 := time.Unix(1700000000, 0).UTC()
	for i := range 8 {
		st := Forwarded
		if i%2 == 1 {
			st = Rejected
		}
		l.Add(Record{Time: t0.Add(time.Duration(i) * time.Second), MessageID: fmt.Sprint(i), To: fmt.Sprintf("u%d@Ours.example", i), Status: st})
	}
	sc := bufio.NewScanner(&buf)
	lines := 0
	for sc.Scan() {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if r.MessageID != fmt.Sprint(lines) {
			t.Fatalf("line %d is message %s", lines, r.MessageID)
		}
		lines++
	}
	if lines != 8 {
		t.Fatalf("%d lines", lines)
	}
	all := l.Find(Query{})
	if len(all) != 5 || all[0].MessageID != "7" || all[4].MessageID != "3" {
		t.Fatalf("window: %+v", all)
	}
	rej := l.Find(Query{Status: Rejected, To: "ours"})
	if len(rej) != 3 || rej[0].MessageID != "7" {
		t.Fatalf("rejected: %+v", rej)
	}
	if got := l.Find(Query{Since: t0.Add(6 * time.Second)}); len(got) != 2 {
		t.Fatalf("since: %+v", got)
	}
	if got := l.Find(Query{MessageID: "5", Limit: 1}); len(got) != 1 || got[0].To != "u5@Ours.example" {
		t.Fatalf("by id: %+v", got)
	}
}
