package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/forkrl/forkrl/framework/rundir"
)

// shortRun trains testdata/report/short.hcl (3 steps) into a temporary
// folder and returns its run directory.
func shortRun(t *testing.T) string {
	t.Helper()
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := runCommand([]string{"--out", out, filepath.Join("testdata", "report", "short.hcl")}, &stdout, &stderr); code != 0 {
		t.Fatalf("forkrl run: exit %d\n%s", code, stderr.String())
	}
	return filepath.Join(out, "short")
}

// chromium is the path of a Chromium browser, or "" where none is installed.
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browserPage is what the browser test reads from a loaded report.
type browserPage struct {
	Figures []struct {
		Title  string   `json:"title"`
		SVGs   int      `json:"svgs"`
		Width  float64  `json:"width"`
		Height float64  `json:"height"`
		Paths  int      `json:"paths"`
		Texts  []string `json:"texts"`
	} `json:"figures"`
	Tokens   int `json:"tokens"`
	Selected int `json:"selected"`
}

const readPage = `(() => ({
	figures: [...document.querySelectorAll("figure.chart")].map(f => {
		const s = f.querySelector("svg");
		const b = s ? s.getBoundingClientRect() : {width: 0, height: 0};
		return {
			title: f.dataset.title, svgs: f.querySelectorAll("svg").length, width: b.width, height: b.height,
			paths: s ? s.querySelectorAll("path").length : 0,
			texts: s ? [...s.querySelectorAll("text")].map(t => t.textContent) : [],
		};
	}),
	tokens: document.querySelectorAll(".response span.tok").length,
	selected: document.querySelectorAll(".response span.tok.sel").length,
}))()`

// startBrowser starts headless Chromium with a fresh profile; the browser
// ends with the test.
func startBrowser(t *testing.T, path string) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1300, 900))
	t.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return browser
}

// browse loads url in a new tab of the browser and returns the page's
// figures and token counts, the console's error messages and a full-page
// screenshot.
func browse(t *testing.T, browser context.Context, url string) (browserPage, []string, []byte) {
	t.Helper()
	tab, cancelTab := chromedp.NewContext(browser)
	defer cancelTab()
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	consoleCtx, stopConsole := context.WithCancel(tab)
	var (
		mu     sync.Mutex
		errors []string
		wg     sync.WaitGroup
	)
	msgs := chromedp.Console(consoleCtx)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				mu.Lock()
				errors = append(errors, m.String())
				mu.Unlock()
			}
		}
	}()
	if err := chromedp.Do(tab, chromedp.Navigate(url)); err != nil {
		t.Fatalf("loading %s: %v", url, err)
	}
	var p browserPage
	raw, err := chromedp.Run(tab, chromedp.Evaluate[json.RawMessage](readPage))
	if err != nil {
		t.Fatalf("reading the page: %v", err)
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	time.Sleep(200 * time.Millisecond) // let late console messages arrive
	stopConsole()
	wg.Wait()
	return p, errors, shot
}

// pixelVariance is the variance of the grey level (0–255) of an image's
// pixels: 0 for a blank page.
func pixelVariance(img image.Image) float64 {
	var sum, sumSq, n float64
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			v := (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)) / 257
			sum, sumSq, n = sum+v, sumSq+v*v, n+1
		}
	}
	m := sum / n
	return sumSq/n - m*m
}

// TestReportInBrowser loads the report of a short run in headless Chromium:
// no console errors, every figure a drawn SVG with axes and its title, one
// coloured span per token of the rollouts shown (and one marked span per
// selected token), and a screenshot that is not blank.
func TestReportInBrowser(t *testing.T) {
	path := chromium()
	if path == "" {
		t.Skip("chromium is not installed (apt-get install -y chromium; .ci/run installs it): the report's browser test is skipped")
	}
	dir := shortRun(t)
	html := filepath.Join(t.TempDir(), "report.html")
	var stdout, stderr bytes.Buffer
	if code := reportCommand([]string{dir, "-o", html}, &stdout, &stderr); code != 0 {
		t.Fatalf("forkrl report: exit %d\n%s", code, stderr.String())
	}

	browser := startBrowser(t, path)
	// The console capture sees an error a page writes.
	bad := filepath.Join(t.TempDir(), "bad.html")
	if err := os.WriteFile(bad, []byte(`<!DOCTYPE html><p>x</p><script>console.error("deliberate")</script>`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errs, _ := browse(t, browser, "file://"+bad); len(errs) != 1 || !strings.Contains(errs[0], "deliberate") {
		t.Fatalf("console errors of a page that writes one: %q", errs)
	}

	p, errs, shot := browse(t, browser, "file://"+html)
	if len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
	if len(p.Figures) < 8 {
		t.Errorf("%d figures; want the training, evaluation and entropy charts", len(p.Figures))
	}
	for _, f := range p.Figures {
		// Axes: tick labels and the axis label "step" or "entropy (nats)".
		hasTitle, hasAxis := false, false
		for _, s := range f.Texts {
			hasTitle = hasTitle || s == f.Title
			hasAxis = hasAxis || s == "step" || s == "entropy (nats)"
		}
		if f.SVGs != 1 || f.Width < 100 || f.Height < 100 || f.Paths < 3 || len(f.Texts) < 5 || !hasTitle || !hasAxis {
			t.Errorf("figure %q: %d svg, %.0f×%.0f px, %d paths, texts %q", f.Title, f.SVGs, f.Width, f.Height, f.Paths, f.Texts)
		}
	}

	// The token view shows the first 8 rollouts of the last step, a span
	// per token.
	samples, err := os.ReadFile(filepath.Join(dir, rundir.SamplesDir, "step-000003.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	tokens, selected := 0, 0
	for i, line := range strings.Split(strings.TrimSpace(string(samples)), "\n") {
		var s rundir.Sample
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatal(err)
		}
		if i < 8 {
			tokens += len(s.Pieces)
			for _, w := range s.Weights {
				if w > 0 {
					selected++
				}
			}
		}
	}
	if p.Tokens != tokens || p.Selected != selected || selected == 0 {
		t.Errorf("token view: %d spans, %d marked; the rollouts have %d tokens, %d selected", p.Tokens, p.Selected, tokens, selected)
	}

	img, _, err := image.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	if v := pixelVariance(img); v < 100 {
		t.Errorf("screenshot %v: grey-level variance %.1f; the page looks blank", img.Bounds().Size(), v)
	}
}
