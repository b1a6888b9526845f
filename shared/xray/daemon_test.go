package xray

import (
	"bytes"
	"encoding/json"
	"net"
	"testing"
	"time"
)

// fakeDaemon is a UDP listener standing in for the X-Ray daemon.
type fakeDaemon struct {
	conn *net.UDPConn
}

func startDaemon(t *testing.T) *fakeDaemon {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &fakeDaemon{conn: conn}
}

// Addr is the daemon's address in AWS_XRAY_DAEMON_ADDRESS's form.
func (d *fakeDaemon) Addr() string { return d.conn.LocalAddr().String() }

// next reads one datagram, checks the header line and decodes the document.
// The deadline only bounds a test that would otherwise hang on a lost packet.
func (d *fakeDaemon) next(t *testing.T) Subsegment {
	t.Helper()
	buf := make([]byte, maxDatagram)
	if err := d.conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	n, err := d.conn.Read(buf)
	if err != nil {
		t.Fatalf("fake daemon: no subsegment: %v", err)
	}
	line, doc, ok := bytes.Cut(buf[:n], []byte("\n"))
	if !ok || string(line) != `{"format": "json", "version": 1}` {
		t.Fatalf("fake daemon: datagram %q does not start with the header line", buf[:n])
	}
	var s Subsegment
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		t.Fatalf("fake daemon: document %s: %v", doc, err)
	}
	return s
}
