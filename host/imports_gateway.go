package host

import "github.com/ptsevent/ptsevent/abi"

func init() {
	register("req_environ", hostReqEnviron)
	register("start_response", hostStartResponse)
	register("req_abort", hostReqAbort)
}

// gatewayRequest returns the request behind the descriptor in parameter 0.
func (c *call) gatewayRequest() (GatewayRequest, abi.Errno) {
	d, e := c.desc(0)
	if e != 0 {
		return nil, e
	}
	r, ok := d.Stream.(GatewayRequest)
	if !ok {
		if _, ok := d.Stream.(revoked); ok {
			return nil, abi.EBADF // a request the server ended (FDTable.Revoke)
		}
		return nil, abi.EINVAL
	}
	return r, 0
}

// hostReqEnviron implements req_environ(fd, buf, buf_len, size).
func hostReqEnviron(c *call) abi.Errno {
	r, e := c.gatewayRequest()
	if e != 0 {
		return e
	}
	ptr, n, out := c.u32(1), c.u32(2), c.u32(3)
	buf, e := c.mem.bytes(ptr, n)
	if e != 0 {
		return e
	}
	if e := c.mem.check(out, 4); e != 0 {
		return e
	}
	env := r.Environ()
	if uint64(len(env)) > uint64(n) {
		c.mem.putU32(out, uint32(len(env)))
		return abi.ERANGE
	}
	copy(buf, env)
	return c.mem.putU32(out, uint32(len(env)))
}

// hostStartResponse implements start_response(fd, status, status_len,
// headers, headers_len, flags).
func hostStartResponse(c *call) abi.Errno {
	r, e := c.gatewayRequest()
	if e != 0 {
		return e
	}
	status, e := c.mem.bytes(c.u32(1), c.u32(2))
	if e != 0 {
		return e
	}
	headers, e := c.mem.bytes(c.u32(3), c.u32(4))
	if e != 0 {
		return e
	}
	return r.StartResponse(status, headers, c.u32(5))
}

// hostReqAbort implements req_abort(fd).
func hostReqAbort(c *call) abi.Errno {
	r, e := c.gatewayRequest()
	if e != 0 {
		return e
	}
	return r.Abort()
}
