package wsgihost

import (
	"net"
	"time"
)

// The rest of net.Conn for loopConn. Deadlines are the connection's own
// (rdDeadline, wrDeadline), set by the server before each read or write.

func (l loopConn) Close() error                       { return nil }
func (l loopConn) LocalAddr() net.Addr                { return tcpAddr(l.c.local) }
func (l loopConn) RemoteAddr() net.Addr               { return tcpAddr(l.c.remote) }
func (l loopConn) SetDeadline(t time.Time) error      { l.c.rdDeadline, l.c.wrDeadline = t, t; return nil }
func (l loopConn) SetReadDeadline(t time.Time) error  { l.c.rdDeadline = t; return nil }
func (l loopConn) SetWriteDeadline(t time.Time) error { l.c.wrDeadline = t; return nil }

func tcpAddr(a sockAddr) net.Addr {
	ap, err := net.ResolveTCPAddr("tcp", net.JoinHostPort(a.ip, a.port))
	if err != nil {
		return &net.TCPAddr{}
	}
	return ap
}
