package plugin

import (
	"bytes"
	"io"
	"sync"
)

// stderrTailLines is how many of a plugin's last stderr lines an error quotes.
const stderrTailLines = 20

// pluginLog forwards a plugin's output to the host log, one line at a time
// prefixed with the plugin's name, and keeps its last lines for error messages.
type pluginLog struct {
	mu      sync.Mutex
	out     io.Writer
	prefix  []byte
	partial []byte   // a line not yet ended
	tail    []string // the last complete lines, oldest first
}

func newPluginLog(out io.Writer, prefix string) *pluginLog {
	return &pluginLog{out: out, prefix: []byte(prefix)}
}

// Write implements io.Writer. It never fails: losing the host log must not
// break a plugin.
func (l *pluginLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			l.partial = append(l.partial, p...)
			break
		}
		l.line(append(l.partial, p[:i]...))
		l.partial = l.partial[:0]
		p = p[i+1:]
	}
	return n, nil
}

// flush emits a line that was never ended (a plugin that died mid-line).
func (l *pluginLog) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.partial) > 0 {
		l.line(l.partial)
		l.partial = l.partial[:0]
	}
}

func (l *pluginLog) line(b []byte) {
	b = bytes.TrimRight(b, "\r")
	buf := make([]byte, 0, len(l.prefix)+len(b)+1)
	buf = append(append(append(buf, l.prefix...), b...), '\n')
	_, _ = l.out.Write(buf)
	if len(l.tail) == stderrTailLines {
		copy(l.tail, l.tail[1:])
		l.tail = l.tail[:stderrTailLines-1]
	}
	l.tail = append(l.tail, string(b))
}

// lastLines returns the plugin's last output lines, oldest first.
func (l *pluginLog) lastLines() []string {
	l.flush()
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.tail...)
}
