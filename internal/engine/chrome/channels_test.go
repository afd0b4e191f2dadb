package chrome

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/engine"
)

// listener records what reaches a TCP or UDP port on loopback.
type listener struct {
	addr string
	mu   sync.Mutex
	got  []string
}

func (l *listener) record(what string) {
	l.mu.Lock()
	l.got = append(l.got, what)
	l.mu.Unlock()
}

func (l *listener) hits() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.got...)
}

// listenUDP records every datagram sent to a port of 127.0.0.1.
func listenUDP(t *testing.T) *listener {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	l := &listener{addr: c.LocalAddr().String()}
	t.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := c.ReadFromUDP(buf)
			if err != nil {
				return
			}
			l.record(fmt.Sprintf("udp datagram of %d bytes from %s (%s)", n, from, datagramKind(buf[:n])))
		}
	}()
	return l
}

// datagramKind names a STUN message or a QUIC long-header packet.
func datagramKind(b []byte) string {
	switch {
	case len(b) >= 8 && b[0]&0xc0 == 0 && b[4] == 0x21 && b[5] == 0x12 && b[6] == 0xa4 && b[7] == 0x42:
		return "STUN"
	case len(b) > 0 && b[0]&0x80 != 0:
		return "QUIC"
	}
	return "other"
}

// listenTCP records every connection to a port of host and its first line.
func listenTCP(t *testing.T, host string) *listener {
	t.Helper()
	ln, err := net.Listen("tcp", host+":0")
	if err != nil {
		t.Fatal(err)
	}
	l := &listener{addr: ln.Addr().String()}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetReadDeadline(time.Now().Add(2 * time.Second))
				line, _ := bufio.NewReader(c).ReadString('\n')
				l.record(fmt.Sprintf("tcp connection: %q", strings.TrimSpace(line)))
			}()
		}
	}()
	return l
}

// spin keeps the page's main thread busy, so that the page stays loading
// (and its network channels have time to send) before it is printed.
const spin = `<script>{const t=Date.now();while(Date.now()-t<1500){}}</script>`

// channels are the ways a page could try to reach the network other than
// through an ordinary, intercepted request. {TCP} is the address of a TCP
// listener, {UDP} of a UDP listener on 127.0.0.1.
var channels = []struct {
	name string
	page string
}{
	{"webrtc", `<script>try{const pc=new RTCPeerConnection({iceServers:[{urls:'stun:{UDP}'},
{urls:'turn:{UDP}?transport=udp',username:'u',credential:'p'},{urls:'turn:{TCP}?transport=tcp',username:'u',credential:'p'}]});
pc.createDataChannel('d');pc.setLocalDescription();
const pc2=new RTCPeerConnection({iceServers:[{urls:'stun:{UDP}'}]});pc2.createDataChannel('d');
pc2.createOffer().then(o=>pc2.setLocalDescription(o));window.keep=[pc,pc2]}catch(e){}</script>` + spin},
	{"webrtc in an iframe", `<iframe id=f></iframe><script>try{const P=document.getElementById('f').contentWindow.RTCPeerConnection;
const pc=new P({iceServers:[{urls:'stun:{UDP}'}]});pc.createDataChannel('d');pc.setLocalDescription();window.keep=pc}catch(e){}</script>` + spin},
	{"webtransport", `<script>try{window.keep=new WebTransport('https://{UDP}/wt')}catch(e){}</script>` + spin},
	{"webtransport in a worker", `<script>try{new Worker(URL.createObjectURL(new Blob(["try{self.k=new WebTransport('https://{UDP}/wt')}catch(e){}"])))}catch(e){}</script>` + spin},
	{"preconnect", `<link rel=preconnect href="http://{TCP}/"><link rel=preconnect href="https://{TCP}/">` + spin},
	// Without a script the document goes to a static tab (see mayRunScript).
	{"preconnect and prefetch, no script", `<link rel=preconnect href="http://{TCP}/"><link rel=preconnect href="https://{TCP}/">
<link rel=dns-prefetch href="http://{TCP}/"><link rel=prefetch href="http://{TCP}/prefetch"><img src="http://{TCP}/img">
<link rel=stylesheet href="http://{TCP}/css"><a ping="http://{TCP}/ping" href="http://{TCP}/a">link</a>`},
	{"dns-prefetch", `<link rel=dns-prefetch href="http://{TCP}/">` + spin},
	{"prefetch", `<link rel=prefetch href="http://{TCP}/prefetch"><link rel=prerender href="http://{TCP}/prerender">
<script type=speculationrules>{"prefetch":[{"source":"list","urls":["http://{TCP}/speculation"]}]}</script>` + spin},
	{"sendBeacon", `<script>try{navigator.sendBeacon('http://{TCP}/beacon','x')}catch(e){}</script>` + spin},
	{"keepalive fetch on pagehide", `<script>addEventListener('pagehide',()=>{try{fetch('http://{TCP}/keepalive',{method:'POST',body:'x',keepalive:true,mode:'no-cors'});navigator.sendBeacon('http://{TCP}/unload','x')}catch(e){}})</script>`},
	{"websocket", `<script>try{window.keep=new WebSocket('ws://{TCP}/ws')}catch(e){}</script>` + spin},
	{"fetch", `<script>fetch('http://{TCP}/fetch',{mode:'no-cors'}).catch(()=>{})</script>` + spin},
	{"eventsource", `<script>try{window.keep=new EventSource('http://{TCP}/events')}catch(e){}</script>` + spin},
	{"worker", `<script>try{new Worker(URL.createObjectURL(new Blob(["fetch('http://{TCP}/worker').catch(()=>{});self.w=new WebSocket('ws://{TCP}/worker-ws')"])))}catch(e){}</script>` + spin},
	{"shared worker", `<script>try{new SharedWorker(URL.createObjectURL(new Blob(["fetch('http://{TCP}/shared-worker').catch(()=>{})"])))}catch(e){}</script>` + spin},
	{"service worker", `<script>navigator.serviceWorker&&navigator.serviceWorker.register('/sw.js').catch(()=>{})</script>` + spin},
	{"popup", `<script>try{window.open('http://{TCP}/popup')}catch(e){}</script>` + spin},
}

// swScript is the service worker the capture's page server serves.
const swScript = `self.addEventListener('install',()=>{fetch('http://{TCP}/from-sw').catch(()=>{})});fetch('http://{TCP}/sw-start').catch(()=>{})`

// fill puts the listeners' addresses into a page.
func fill(page string, tcp, udp *listener) string {
	return strings.NewReplacer("{TCP}", tcp.addr, "{UDP}", udp.addr).Replace(page)
}

// settle is how long a test waits after a job for anything the page sent
// late (a keepalive request on unload, a retried STUN binding).
const settle = 700 * time.Millisecond

// A converted HTML page reaches nothing by any channel, even where the
// address policy would allow the address: here the guard allows 127.0.0.1,
// and the listeners are there.
func TestConvertedHTMLChannels(t *testing.T) {
	e := newEngine(t, Config{Tabs: 1, Policy: loopbackPolicy})
	for _, ch := range channels {
		t.Run(ch.name, func(t *testing.T) {
			tcp, udp := listenTCP(t, "127.0.0.1"), listenUDP(t)
			p, err := convert(t, e, "<p>probe</p>"+fill(ch.page, tcp, udp), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(pdfText(t, p), "probe") {
				t.Error("the page was not printed")
			}
			time.Sleep(settle)
			for _, l := range []*listener{tcp, udp} {
				if got := l.hits(); len(got) > 0 {
					t.Errorf("%s reached the listener at %s: %s", ch.name, l.addr, strings.Join(got, "; "))
				}
			}
		})
	}
}

// A captured page reaches a forbidden address by no channel: TCP only
// through the guard, which refuses 127.0.0.2, and no UDP at all.
func TestCapturedPageChannels(t *testing.T) {
	if _, err := net.Listen("tcp", "127.0.0.2:0"); err != nil {
		t.Skipf("no 127.0.0.2: %v", err)
	}
	e := newEngine(t, Config{Tabs: 1, Policy: loopbackPolicy})
	var page, sw atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/sw.js" {
			w.Header().Set("Content-Type", "text/javascript")
			w.Write([]byte(sw.Load().(string)))
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(page.Load().(string)))
	}))
	defer srv.Close()
	for _, ch := range channels {
		t.Run(ch.name, func(t *testing.T) {
			tcp, udp := listenTCP(t, "127.0.0.2"), listenUDP(t)
			page.Store("<p>probe</p>" + fill(ch.page, tcp, udp))
			sw.Store(fill(swScript, tcp, udp))
			res, err := capture(t, e, srv.URL+"/", "pdf", engine.Options{"wait_time": 500})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(pdfText(t, res.Files[0].Path), "probe") {
				t.Error("the page was not printed")
			}
			time.Sleep(settle)
			for _, l := range []*listener{tcp, udp} {
				if got := l.hits(); len(got) > 0 {
					t.Errorf("%s reached the listener at %s: %s", ch.name, l.addr, strings.Join(got, "; "))
				}
			}
		})
	}
}
