package dnsclient

import (
	"errors"
	"strings"

	"github.com/miekg/dns"
	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/evloop/evdns"
)

// exchangeEvdns is exchangeUDP's counterpart on the libevent backend: it
// asks server number si the queries qs through libevent's evdns (all of
// them at once) and parks until each has an outcome. The outcomes are
// recorded exactly as exchangeUDP records replies, so LookupIP and
// LookupAddr choose results and errors the same way on both backends.
//
// Two outcomes evdns 2.1 cannot finish are handed to exchangeUDP for the
// same server: a truncated answer (evdns has no TCP; exchangeUDP retries
// over TCP) and an answer evdns could not use (a malformed reply, or one
// with the right ID but the wrong question, which evdns takes as the
// answer's failure where exchangeUDP ignores it and keeps waiting).
func (r *Resolver) exchangeEvdns(t *evloop.Task, si int, qs []*query) error {
	eqs := make([]*evdns.Query, len(qs))
	var again []*query
	for i, q := range qs {
		kind := evdns.A
		switch q.qtype {
		case dns.TypeAAAA:
			kind = evdns.AAAA
		case dns.TypePTR:
			kind = evdns.PTR
		}
		eq, err := r.ev.Start(si, kind, strings.TrimSuffix(q.name, "."), q.addr)
		if err != nil {
			if errors.Is(err, evloop.ErrLoopClosed) {
				cancelAll(eqs)
				return err
			}
			again = append(again, q) // evdns refused the question
			continue
		}
		eqs[i] = eq
	}
	for i, eq := range eqs {
		if eq == nil {
			continue
		}
		res, err := eq.Wait(t)
		if err != nil {
			cancelAll(eqs[i+1:])
			return err
		}
		q := qs[i]
		switch res.Code {
		case evdns.OK, evdns.NoData:
			q.finish(evdnsReply(q, res, dns.RcodeSuccess))
		case evdns.NotExist:
			q.finish(evdnsReply(q, res, dns.RcodeNameError))
		case evdns.Timeout:
			q.fail(ErrTimeout)
		case evdns.Truncated, evdns.Unknown:
			again = append(again, q)
		default: // SERVFAIL, REFUSED, NOTIMP, FORMERR
			q.fail(ErrServerFailure)
		}
	}
	if len(again) > 0 {
		return r.exchangeUDP(t, r.servers[si], again)
	}
	return nil
}

func cancelAll(eqs []*evdns.Query) {
	for _, eq := range eqs {
		if eq != nil {
			eq.Cancel()
		}
	}
}

// evdnsReply turns an evdns outcome into the reply message exchangeUDP
// would have recorded: the records evdns returned, owned by the question's
// name (evdns does not report CNAME chains, so the canonical name of an
// evdns answer is the name asked).
func evdnsReply(q *query, res evdns.Result, rcode int) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(q.name, q.qtype)
	m.Response = true
	m.Rcode = rcode
	hdr := func(t uint16) dns.RR_Header {
		return dns.RR_Header{Name: q.name, Rrtype: t, Class: dns.ClassINET}
	}
	for _, a := range res.Addrs {
		switch {
		case q.qtype == dns.TypeA && a.Is4():
			m.Answer = append(m.Answer, &dns.A{Hdr: hdr(dns.TypeA), A: a.AsSlice()})
		case q.qtype == dns.TypeAAAA && a.Is6():
			m.Answer = append(m.Answer, &dns.AAAA{Hdr: hdr(dns.TypeAAAA), AAAA: a.AsSlice()})
		}
	}
	if res.Name != "" && q.qtype == dns.TypePTR {
		m.Answer = append(m.Answer, &dns.PTR{Hdr: hdr(dns.TypePTR), Ptr: dns.Fqdn(res.Name)})
	}
	return m
}
