package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/edgelab/edgelab/sim/world"
	"github.com/edgelab/edgelab/tamarin/prove"
)

// buildEdgelab builds the command into a temporary directory once per
// test binary.
var builtEdgelab string

func buildEdgelab(t testing.TB) string {
	t.Helper()
	if builtEdgelab != "" {
		return builtEdgelab
	}
	dir, err := os.MkdirTemp("", "edgelab-bin-")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "edgelab")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	builtEdgelab = bin
	return bin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if builtEdgelab != "" {
		os.RemoveAll(filepath.Dir(builtEdgelab))
	}
	if labRan.dir != "" {
		os.RemoveAll(labRan.dir)
	}
	os.Exit(code)
}

// labJob is the main job shrunk for tests: the defaults are measured, not
// timed here (DESIGN.md, "The lab's main job"). The proofs are left out
// (TestLabProvesWithinItsBudget runs them).
var labJob = []string{"--seeds", "3", "--plans", "8", "--prove-budget", "0"}

// runLab runs the built binary with no command, only the shrunk job's
// flags, in a fresh directory, and returns that directory.
var labRan struct{ dir, stdout string }

func runLab(t *testing.T) (dir, stdout string) {
	t.Helper()
	if labRan.dir != "" {
		return labRan.dir, labRan.stdout
	}
	bin := buildEdgelab(t)
	dir, err := os.MkdirTemp("", "edgelab-lab-")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, labJob...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	// Exit 1 is a finding (a world's seeded bug missed in so few plans,
	// say): the report is still whole. Anything else is a broken job.
	if err := cmd.Run(); err != nil && cmd.ProcessState.ExitCode() != exitFailed {
		t.Fatalf("edgelab %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(labJob, " "), err, out.String(), errb.String())
	}
	labRan.dir, labRan.stdout = dir, out.String()
	return dir, out.String()
}

func TestBareEdgelabWritesAReportWithEveryWorldAndValidSVG(t *testing.T) {
	dir, out := runLab(t)
	for _, w := range worlds {
		if !regexp.MustCompile(`(?m)^` + w.Name() + ` +3 +\d+ +\d+ `).MatchString(out) {
			t.Errorf("no summary row for %s in:\n%s", w.Name(), out)
		}
	}
	if !strings.Contains(out, "report: edgelab-out/report.html\n") {
		t.Errorf("no report line in:\n%s", out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "edgelab-out", "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	html := string(data)
	if regexp.MustCompile(`(?i)(src|href)\s*=\s*"[a-z]+:|url\(|@import|<script|<link`).MatchString(html) {
		t.Error("the report reaches for the network or runs a script")
	}
	for _, w := range worlds {
		start := strings.Index(html, `<section class="world" id="world-`+w.Name()+`">`)
		if start < 0 {
			t.Errorf("no section for world %s", w.Name())
			continue
		}
		section := html[start:]
		section = section[:strings.Index(section, "</section>")]
		if _, ok := w.(world.Reporter); ok && !strings.Contains(section, "<figure") {
			t.Errorf("world %s draws figures but its section has none", w.Name())
		}
	}
	svgs := regexp.MustCompile(`(?s)<svg.*?</svg>`).FindAllString(html, -1)
	if len(svgs) == 0 {
		t.Fatal("no SVG in the report")
	}
	for i, s := range svgs {
		if err := wellFormedXML(s); err != nil {
			t.Errorf("svg %d is not well-formed: %v", i, err)
		}
	}
	for _, w := range worlds {
		for _, f := range []string{w.Name() + ".ndjson", w.Name() + ".perfetto.json"} {
			if st, err := os.Stat(filepath.Join(dir, "edgelab-out", "traces", f)); err != nil || st.Size() == 0 {
				t.Errorf("traces/%s: %v", f, err)
			}
		}
		if bc, ok := w.(world.BugCatalog); ok {
			for _, b := range bc.Bugs() {
				if _, err := os.Stat(filepath.Join(dir, "edgelab-out", "replays", bugFileName(w.Name(), b.Name))); err != nil {
					t.Errorf("no replay file for bug %s/%s: %v", w.Name(), b.Name, err)
				}
			}
		}
	}
}

func wellFormedXML(s string) error {
	d := xml.NewDecoder(strings.NewReader(s))
	depth := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			if depth != 0 {
				return errors.New("unclosed element")
			}
			return nil
		}
		if err != nil {
			return err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if depth == 0 && tok.Name.Local != "svg" {
				return errors.New("root is " + tok.Name.Local)
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
}

// TestReportScreenshot renders the report in headless Chromium and checks
// it drew a page (a PNG of the window's size, not blank). Set
// EDGELAB_SCREENSHOT=FILE to keep the picture; the window is tall enough
// for every world's section.
func TestReportScreenshot(t *testing.T) {
	const shotHeight = 12000
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (.ci/setup.d/report.sh installs it in CI)")
	}
	if testing.Short() {
		t.Skip("renders a page in a browser; not in -short")
	}
	dir, _ := runLab(t)
	shot := os.Getenv("EDGELAB_SCREENSHOT")
	if shot == "" {
		shot = filepath.Join(t.TempDir(), "report.png")
	}
	cmd := exec.Command(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir="+t.TempDir(),
		"--screenshot="+shot, fmt.Sprintf("--window-size=1280,%d", shotHeight), "file://"+filepath.Join(dir, "edgelab-out", "report.html"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != shotHeight {
		t.Fatalf("screenshot is %v", b)
	}
	colours := map[[3]uint32]bool{}
	for y := 0; y < shotHeight; y += 7 {
		for x := 0; x < 1280; x += 7 {
			r, g, b, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 12, g >> 12, b >> 12}] = true
		}
	}
	if len(colours) < 20 {
		t.Fatalf("the screenshot has %d colours: a blank page?", len(colours))
	}
}

// TestBugsWithoutWorldCoversEveryCatalog: `edgelab bugs` with no --world
// is every world with a catalog, each under its heading.
func TestBugsWithoutWorldCoversEveryCatalog(t *testing.T) {
	code, out, errs := edgelab("bugs", "--list")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	n := 0
	for _, w := range worlds {
		bc, ok := w.(world.BugCatalog)
		if !ok || len(bc.Bugs()) == 0 {
			if strings.Contains(out, "== "+w.Name()+"\n") {
				t.Errorf("world %s has no catalog but a heading", w.Name())
			}
			continue
		}
		n++
		if !strings.Contains(out, "== "+w.Name()+"\n") {
			t.Errorf("no heading for %s in:\n%s", w.Name(), out)
		}
		for _, b := range bc.Bugs() {
			if !strings.Contains(out, b.Name) {
				t.Errorf("bug %s/%s not listed", w.Name(), b.Name)
			}
		}
	}
	if n == 0 {
		t.Fatal("no world has a catalog")
	}
}

// The lab's proofs keep to their budget's terms: every lemma counted as
// proved, cut short or wrong, each listed in prove.txt; none when the
// budget is 0.
func TestLabProvesWithinItsBudget(t *testing.T) {
	if got := labProve(t.TempDir(), 0); got.Line != "prove: skipped (--prove-budget 0)" || got.failed {
		t.Errorf("budget 0: %+v", got)
	}
	if _, err := prove.Find(); err != nil {
		t.Skip(err)
	}
	if testing.Short() {
		t.Skip("runs tamarin-prover; not in -short")
	}
	dir := t.TempDir()
	got := labProve(dir, 8*time.Second)
	m := regexp.MustCompile(`^prove: (\d+) of (\d+) lemmas proved within 8s(, (\d+) cut short by that budget \(edgelab prove has none\))?(, (\d+) wrong; see .*prove.txt)?$`).FindStringSubmatch(got.Line)
	if m == nil {
		t.Fatalf("prove line %q", got.Line)
	}
	n, _ := strconv.Atoi(m[2])
	listed, err := os.ReadFile(filepath.Join(dir, "prove.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(listed), "\n"); lines < n || n == 0 {
		t.Errorf("prove.txt lists %d lines for %d lemmas:\n%s", lines, n, listed)
	}
	if got.failed != (m[6] != "") {
		t.Errorf("failed=%v for %q", got.failed, got.Line)
	}
}
