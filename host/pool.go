package host

import (
	"context"
	"errors"

	"github.com/ptsevent/ptsevent/evloop"
)

// ErrPoolClosed is returned by Get on a closed pool.
var ErrPoolClosed = errors.New("host: pool closed")

// Pool is a bounded set of instances of one module on one loop, for
// blocking-style guests that handle one request per instance at a time.
// Instances are made on demand up to Max; a Get beyond that parks the
// calling task until an instance is returned. A broken instance (trap,
// deadline) is discarded on Put and replaced on a later Get. Loop goroutine
// only.
type Pool struct {
	mod    *Module
	loop   *evloop.Loop
	cfg    InstanceConfig
	max    int
	idle   []*Instance
	count  int
	avail  *evloop.PollDesc // readable when an instance was returned
	closed bool
}

// NewPool makes a pool of at most max instances (at least 1) of m on loop.
func (m *Module) NewPool(loop *evloop.Loop, cfg InstanceConfig, max int) *Pool {
	if max < 1 {
		max = 1
	}
	cfg.Loop = loop
	return &Pool{mod: m, loop: loop, cfg: cfg, max: max, avail: loop.NewVirtual()}
}

// Get returns an idle instance, makes a new one while under the limit, or
// parks until one is returned or ctx's deadline passes.
func (p *Pool) Get(ctx context.Context, t *evloop.Task) (*Instance, error) {
	dl, _ := ctx.Deadline()
	for {
		if p.closed {
			return nil, ErrPoolClosed
		}
		if n := len(p.idle); n > 0 {
			in := p.idle[n-1]
			p.idle[n-1] = nil
			p.idle = p.idle[:n-1]
			return in, nil
		}
		if p.count < p.max {
			p.count++
			in, err := p.mod.Instantiate(ctx, t, p.cfg)
			if err != nil {
				p.count--
				p.avail.SetReady(evloop.Readable)
				return nil, err
			}
			return in, nil
		}
		if err := t.WaitFD(p.avail, evloop.Readable, dl); err != nil {
			return nil, err
		}
	}
}

// Put returns an instance taken with Get. Broken instances are closed.
func (p *Pool) Put(in *Instance) {
	if p.closed || in.Broken() {
		in.Close()
		p.count--
	} else {
		p.idle = append(p.idle, in)
	}
	p.avail.SetReady(evloop.Readable)
}

// Stats reports the instances alive and idle.
func (p *Pool) Stats() (alive, idle int) { return p.count, len(p.idle) }

// Close closes the idle instances and makes later Gets fail; instances in
// use are closed when they are Put back.
func (p *Pool) Close() {
	p.closed = true
	for _, in := range p.idle {
		in.Close()
		p.count--
	}
	p.idle = nil
	p.avail.Close()
}
