package smtp

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// smuggleEnds are end-of-data look-alikes from the SMTP smuggling
// research: none of them is CRLF "." CRLF, so none may end the data.
var smuggleEnds = []string{
	"\n.\n", "\n.\r\n", "\r\n.\n", "\r.\r", "\r.\n", "\n.\r", "\r.\r\n", "\r\n.\r",
	"\n\n.\r\n", "\r\n\x00.\r\n", "\r\n.\x00\r\n", "\r\n.\r\r\n", "\r\r\n.\r\r\n",
}

// smuggled is the message an attacker hides after a fake end.
func smuggled(upper bool) string {
	s := "MAIL FROM:<admin@bank.example>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\n" +
		"From: admin@bank.example\r\nSubject: smuggled\r\n\r\nevil\r\n.\r\n"
	if !upper {
		s = strings.Replace(s, "MAIL FROM", "mail from", 1)
		s = strings.Replace(s, "RCPT TO", "rcpt to", 1)
		s = strings.Replace(s, "DATA", "data", 1)
	}
	return s
}

const secondMessage = "MAIL FROM:<b@example.org>\r\nRCPT TO:<c@example.com>\r\nDATA\r\n" +
	"Subject: second\r\n\r\nfine\r\n.\r\nQUIT\r\n"

// smuggleInput is one session: a first message carrying a fake end and a
// hidden message, then a second, honest message, all pipelined.
func smuggleInput(end string, upper, bdat bool) []byte {
	head := "EHLO attacker.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\n"
	content := "Subject: first\r\n\r\nbody" + end + smuggled(upper)
	if bdat {
		return []byte(head + fmt.Sprintf("BDAT %d LAST\r\n", len(content)) + content + secondMessage)
	}
	// The hidden message's own honest end is the real end of the data.
	return []byte(head + "DATA\r\n" + content + secondMessage)
}

func checkSmuggle(t *testing.T, name string, b *recordingBackend, out string, bdat bool) {
	t.Helper()
	got := strings.Join(replyCodes(t, out), "|")
	want := "220|250|250 2.1.0|250 2.1.5|354|554 5.5.2|250 2.1.0|250 2.1.5|354|250 2.6.0|221 2.0.0"
	if bdat {
		want = "220|250|250 2.1.0|250 2.1.5|554 5.5.2|250 2.1.0|250 2.1.5|354|250 2.6.0|221 2.0.0"
	}
	if got != want {
		t.Fatalf("%s: replies\n %s\nwant\n %s", name, got, want)
	}
	if len(b.msgs) != 1 || !bytes.Contains(b.msgs[0].Data, []byte("Subject: second")) {
		t.Fatalf("%s: backend got %d messages, want only the honest second one", name, len(b.msgs))
	}
}

func TestSmugglingVariantsNeverSplitAMessage(t *testing.T) {
	for _, end := range smuggleEnds {
		for _, upper := range []bool{true, false} {
			for _, bdat := range []bool{false, true} {
				name := fmt.Sprintf("%q upper=%v bdat=%v", end, upper, bdat)
				in := smuggleInput(end, upper, bdat)
				// Whole, one octet at a time, and split in two at every
				// boundary.
				b := &recordingBackend{}
				checkSmuggle(t, name+" whole", b, runSession(t, ServerConfig{}, b, in), bdat)
				ones := make([]int, len(in))
				for i := range ones {
					ones[i] = 1
				}
				b = &recordingBackend{}
				checkSmuggle(t, name+" bytewise", b, runSession(t, ServerConfig{}, b, in, ones...), bdat)
				for k := 0; k <= len(in); k++ {
					b = &recordingBackend{}
					checkSmuggle(t, fmt.Sprintf("%s split@%d", name, k), b, runSession(t, ServerConfig{}, b, in, k), bdat)
				}
			}
		}
	}
}

// The honest end, split at every boundary, ends the data exactly there and
// the content is unstuffed exactly.
func TestDataEndAndUnstuffingAtEveryBoundary(t *testing.T) {
	content := "Subject: x\r\n\r\n.\r\n..\r\n...x\r\n.a\r\nend"
	in := []byte("EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n" +
		strings.ReplaceAll(content, "\r\n.", "\r\n..") + "\r\n.\r\nQUIT\r\n")
	want := "Subject: x\r\n\r\n.\r\n..\r\n...x\r\n.a\r\nend\r\n"
	for k := 0; k <= len(in); k++ {
		b := &recordingBackend{}
		out := runSession(t, ServerConfig{}, b, in, k)
		if len(b.msgs) != 1 || string(b.msgs[0].Data) != want {
			t.Fatalf("split@%d: %d messages %v\n%s", k, len(b.msgs), b.msgs, out)
		}
	}
}
