package mailsim

// This file is the world's observer of the MTAs' acknowledgements: at the
// moment the router has spooled a message (and is about to answer 250),
// or a sending MTA's spool has taken a submission, the message must
// already be on what its disk holds durably — what a power failure right
// then would leave; and a recipient a queue records forwarded must be
// durably done. It reads that durable image with
// the spool's own recovery, so a record that is written but not yet
// synced, or acknowledged before its group's sync returned, is caught even
// in a run where no crash comes to lose it.

import (
	"encoding/json"
	"fmt"

	"github.com/edgelab/edgelab/mail/mailfacts"
	"github.com/edgelab/edgelab/mail/spool"
	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/env"
)

// ackWatch is the router's Env with Record watched.
type ackWatch struct {
	env.Env
	n     *sim.Node
	found func(string)
}

func (a *ackWatch) Unwrap() env.Env { return a.Env }

func (a *ackWatch) Record(name string, args ...model.Term) {
	if name == mailfacts.MailSpooled && len(args) == 1 {
		if err := a.durable(args[0].Digest); err != nil {
			a.found(err.Error())
		}
	}
	a.Env.Record(name, args...)
}

// durable reports whether the spool on the durable image of the node's
// disk holds the message whose term digest is digest.
func (a *ackWatch) durable(digest string) error {
	stored, err := a.recover()
	if err != nil {
		return fmt.Errorf("at %v %s spooled a message, but its durable spool does not open: %v", a.n.Sim().Now(), a.n.Name(), err)
	}
	for _, st := range stored {
		if mailfacts.Message(st.Msg.ID).Digest == digest {
			return nil
		}
	}
	return fmt.Errorf("at %v %s answered for a message (digest %.12s) its disk did not yet hold durably", a.n.Sim().Now(), a.n.Name(), digest)
}

// recover reads the spool from the durable image of the node's disk.
func (a *ackWatch) recover() ([]spool.Stored, error) {
	md := a.n.MemDisk()
	if md == nil {
		return nil, nil
	}
	img := &imageEnv{Env: a.Env, disk: md.Durable()}
	_, stored, _, err := spool.Open(img, "spool", spool.Options{})
	return stored, err
}

// Write takes the router's activity log, a JSON line per record: a
// recipient the queue records forwarded (after the spool's Done returned)
// must be durably done, or a power failure now would deliver it again.
func (a *ackWatch) Write(line []byte) (int, error) {
	var rec struct{ MessageID, To, Status string }
	if json.Unmarshal(line, &rec) != nil || rec.Status != "forwarded" || rec.MessageID == "" {
		return len(line), nil
	}
	stored, err := a.recover()
	if err != nil {
		a.found(fmt.Sprintf("at %v the durable spool of %s does not open: %v", a.n.Sim().Now(), a.n.Name(), err))
		return len(line), nil
	}
	for _, st := range stored {
		if st.Msg.ID != rec.MessageID {
			continue
		}
		for _, i := range st.Pending {
			if st.Msg.To[i] == rec.To {
				a.found(fmt.Sprintf("at %v %s recorded %s to %s forwarded before its spool update was durable", a.n.Sim().Now(), a.n.Name(), rec.MessageID, rec.To))
			}
		}
	}
	return len(line), nil
}

// imageEnv is an Env whose disk is a durable image, for recovery to read.
type imageEnv struct {
	env.Env
	disk env.Disk
}

func (e *imageEnv) Disk() env.Disk { return e.disk }
