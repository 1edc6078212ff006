package dnsclient

import (
	"bufio"
	"io"
	"net/netip"
	"os"
	"strings"
	"time"
)

// hostsRecheck is how often the hosts file is stat'ed for changes.
const hostsRecheck = 5 * time.Second

// hostsFile is a parsed hosts(5) file, reloaded when it changes.
type hostsFile struct {
	path    string
	checked time.Time
	mtime   time.Time
	size    int64
	present bool

	byName map[string][]netip.Addr // lower-case name without trailing dot
	canon  map[string]string       // name -> first name of its line
	byAddr map[netip.Addr][]string
}

func newHostsFile(path string) *hostsFile {
	h := &hostsFile{path: path}
	h.refresh(time.Now())
	return h
}

// refresh reloads the file if it changed since the last check; checks are
// at most hostsRecheck apart.
func (h *hostsFile) refresh(now time.Time) {
	if h.byName != nil && now.Sub(h.checked) < hostsRecheck {
		return
	}
	h.checked = now
	st, err := os.Stat(h.path)
	if err != nil {
		h.present = false
		h.set(nil)
		return
	}
	if h.present && st.ModTime().Equal(h.mtime) && st.Size() == h.size {
		return
	}
	f, err := os.Open(h.path)
	if err != nil {
		h.present = false
		h.set(nil)
		return
	}
	defer f.Close()
	h.present, h.mtime, h.size = true, st.ModTime(), st.Size()
	h.set(f)
}

func (h *hostsFile) set(r io.Reader) {
	h.byName = map[string][]netip.Addr{}
	h.canon = map[string]string{}
	h.byAddr = map[netip.Addr][]string{}
	if r == nil {
		return
	}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		a, err := netip.ParseAddr(f[0])
		if err != nil {
			continue
		}
		a = a.Unmap()
		first := strings.TrimSuffix(f[1], ".")
		for _, n := range f[1:] {
			n = strings.TrimSuffix(n, ".")
			key := strings.ToLower(n)
			if !containsAddr(h.byName[key], a) {
				h.byName[key] = append(h.byName[key], a)
			}
			if _, ok := h.canon[key]; !ok {
				h.canon[key] = first
			}
			ak := a.WithZone("")
			h.byAddr[ak] = append(h.byAddr[ak], n)
		}
	}
}

// lookup returns the addresses the file gives name and its canonical name.
func (h *hostsFile) lookup(name string) ([]netip.Addr, string) {
	key := strings.ToLower(strings.TrimSuffix(name, "."))
	return h.byName[key], h.canon[key]
}

// reverse returns the names the file gives a.
func (h *hostsFile) reverse(a netip.Addr) []string {
	return h.byAddr[a.Unmap().WithZone("")]
}

func containsAddr(as []netip.Addr, a netip.Addr) bool {
	for _, x := range as {
		if x == a {
			return true
		}
	}
	return false
}
