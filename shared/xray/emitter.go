package xray

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"
)

// EnvDaemonAddress is where Lambda says its X-Ray daemon listens: "host:port"
// (UDP), or "tcp:host:port udp:host:port".
const EnvDaemonAddress = "AWS_XRAY_DAEMON_ADDRESS"

// header is the line the daemon expects before every document.
const header = `{"format": "json", "version": 1}` + "\n"

// maxDatagram is the largest UDP payload over IPv4 (65,535 − 8 − 20 bytes),
// below the daemon's 64 KiB limit.
const maxDatagram = 65507

// emitter sends subsegment documents to an X-Ray daemon over UDP.
type emitter struct {
	conn net.Conn
}

// newEmitter returns an emitter for the daemon at addr, in the form of
// AWS_XRAY_DAEMON_ADDRESS. No packet is sent until Send.
func newEmitter(addr string) (*emitter, error) {
	udp, err := daemonUDP(addr)
	if err != nil {
		return nil, err
	}
	conn, err := net.Dial("udp", udp)
	if err != nil {
		return nil, fmt.Errorf("xray: daemon %s: %w", udp, err)
	}
	return &emitter{conn: conn}, nil
}

// daemonUDP picks the UDP address out of an AWS_XRAY_DAEMON_ADDRESS value.
func daemonUDP(addr string) (string, error) {
	fields := strings.Fields(addr)
	for _, f := range fields {
		if a, ok := strings.CutPrefix(f, "udp:"); ok {
			return a, nil
		}
	}
	if len(fields) == 1 && !strings.HasPrefix(fields[0], "tcp:") {
		return fields[0], nil
	}
	return "", fmt.Errorf("xray: %s=%q: want host:port or \"tcp:host:port udp:host:port\"", EnvDaemonAddress, addr)
}

// Send writes one document as one datagram. A document the daemon would
// refuse (over 64 KiB) is an error and is not sent.
func (e *emitter) Send(doc *Subsegment) error {
	body, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("xray: encode subsegment: %w", err)
	}
	if len(header)+len(body) > maxDatagram {
		return fmt.Errorf("xray: subsegment of %d bytes is over the daemon's %d", len(body), maxDatagram)
	}
	_, err = e.conn.Write(append([]byte(header), body...))
	return err
}
