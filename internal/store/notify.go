package store

import "sync"

// Notifier fans changes out to subscribers; implementations embed it.
type Notifier struct {
	mu   sync.Mutex
	next int
	subs map[int]func(Change)
}

// Subscribe registers fn until the returned cancel is called.
func (n *Notifier) Subscribe(fn func(Change)) (cancel func()) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.subs == nil {
		n.subs = map[int]func(Change){}
	}
	id := n.next
	n.next++
	n.subs[id] = fn
	return func() {
		n.mu.Lock()
		delete(n.subs, id)
		n.mu.Unlock()
	}
}

// Notify calls every subscriber with c.
func (n *Notifier) Notify(c Change) {
	n.mu.Lock()
	fns := make([]func(Change), 0, len(n.subs))
	for _, fn := range n.subs {
		fns = append(fns, fn)
	}
	n.mu.Unlock()
	for _, fn := range fns {
		fn(c)
	}
}
