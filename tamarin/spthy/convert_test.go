package spthy

import (
	"errors"
	"reflect"
	"testing"

	"github.com/edgelab/edgelab/model"
)

func TestToModel(t *testing.T) {
	th := mustParse(t, inTheory(`
rule R: [ ] --> [ Out(<$C, hpke(pk(~skG), ~ek, ~req), 'ohttp', ~'n'>), Out(h(x)), Out(senc('c', #i)) ]`))
	out := th.Rules[0].Conclusions
	got, err := ToModel(out[0].Args[0])
	if err != nil {
		t.Fatal(err)
	}
	want := model.Pair(
		model.NewPub("C"),
		model.Apply("hpke", model.Apply("pk", model.NewFresh("skG")), model.NewFresh("ek"), model.NewFresh("req")),
		model.NewConst("ohttp"),
		model.NewFresh("n"),
	)
	if !got.Equal(want) {
		t.Errorf("ToModel = %s, want %s", got, want)
	}
	// The two vocabularies print the same.
	if got.String() != "<$C, hpke(pk(~skG), ~ek, ~req), 'ohttp', ~n>" {
		t.Errorf("model prints %s", got)
	}
	if !IsGround(out[0].Args[0]) || IsGround(out[1].Args[0]) {
		t.Error("IsGround wrong")
	}
	for i, bad := range []string{"x", "#i"} {
		_, err := ToModel(out[i+1].Args[0])
		var ng *NotGroundError
		if !errors.As(err, &ng) || ng.Var.Name != bad[len(bad)-1:] {
			t.Errorf("ToModel(%s): %v", out[i+1].Args[0], err)
		}
	}
	if _, err := ToModel(out[1].Args[0]); err == nil || err.Error() != "spthy: term h(x) is not ground: variable x" {
		t.Errorf("error text %v", err)
	}
}

func TestFromModelRoundTrip(t *testing.T) {
	terms := []model.Term{
		model.NewConst("c"),
		model.NewFresh("k").WithDigest([]byte("digests are dropped")),
		model.Pair(model.NewPub("A"), model.NewFresh("n"), model.Apply("h", model.NewConst("x"))),
		model.Apply("senc", model.Apply("kdf", model.NewFresh("x"), model.NewConst("l")), model.Apply("nil")),
	}
	for _, m := range terms {
		s := FromModel(m)
		back, err := ToModel(s)
		if err != nil {
			t.Fatal(err)
		}
		m.Digest = ""
		if !reflect.DeepEqual(back, m) {
			t.Errorf("%s -> %s -> %s", m, s, back)
		}
		if s.String() != m.String() {
			t.Errorf("spthy %s, model %s", s, m)
		}
	}
}
