module github.com/ptsevent/ptsevent

go 1.26.0

require (
	github.com/miekg/dns v1.1.73
	github.com/tetratelabs/wazero v1.12.0
	golang.org/x/sys v0.50.0
)

require golang.org/x/net v0.57.0 // indirect

replace github.com/tetratelabs/wazero => ./third_party/wazero
