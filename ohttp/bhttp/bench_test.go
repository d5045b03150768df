package bhttp

import (
	"bytes"
	"encoding"
	"testing"
)

// A request and response of the size OHTTP typically carries: a dozen
// header fields and a 1 KiB JSON body.
func benchBody() []byte {
	var b bytes.Buffer
	b.WriteString(`{"items":[`)
	for i := 0; b.Len() < 1000; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"id":12345,"name":"widget","tags":["a","b"]}`)
	}
	b.WriteString(`]}`)
	return b.Bytes()[:1024]
}

func benchRequest() *Request {
	return &Request{
		Method: "POST", Scheme: "https", Authority: "api.example.com", Path: "/v1/items?page=2&limit=50",
		Header: Fields{
			{"accept", "application/json"},
			{"accept-encoding", "gzip, deflate, br"},
			{"accept-language", "en-US,en;q=0.9"},
			{"authorization", "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"},
			{"content-type", "application/json"},
			{"cookie", "session=38afes7a8; theme=dark"},
			{"origin", "https://app.example.com"},
			{"referer", "https://app.example.com/items"},
			{"user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"},
			{"x-request-id", "7f1c9a52-2b1e-4c5e-9d1a-6b2f0a3e8c11"},
		},
		Content: benchBody(),
	}
}

func benchResponse() *Response {
	return &Response{
		Status: 200,
		Header: Fields{
			{"cache-control", "private, max-age=0"},
			{"content-type", "application/json; charset=utf-8"},
			{"date", "Mon, 27 Jul 2009 12:28:53 GMT"},
			{"etag", `"34aa387-d-1568eb00"`},
			{"server", "edgelab"},
			{"strict-transport-security", "max-age=63072000; includeSubDomains"},
			{"vary", "Accept-Encoding"},
			{"x-request-id", "7f1c9a52-2b1e-4c5e-9d1a-6b2f0a3e8c11"},
		},
		Content: benchBody(),
	}
}

func BenchmarkEncodeRequest(b *testing.B)  { benchEncode(b, benchRequest()) }
func BenchmarkDecodeRequest(b *testing.B)  { benchDecode(b, benchRequest(), ParseRequest) }
func BenchmarkEncodeResponse(b *testing.B) { benchEncode(b, benchResponse()) }
func BenchmarkDecodeResponse(b *testing.B) { benchDecode(b, benchResponse(), ParseResponse) }

func benchEncode(b *testing.B, m encoding.BinaryMarshaler) {
	enc, _ := m.MarshalBinary()
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.MarshalBinary(); err != nil {
			b.Fatal(err)
		}
	}
}

func benchDecode[M encoding.BinaryMarshaler](b *testing.B, m M, parse func([]byte) (M, error)) {
	enc, _ := m.MarshalBinary()
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parse(enc); err != nil {
			b.Fatal(err)
		}
	}
}
