module github.com/ptsevent/ptsevent/bench/peers/httpwasm

go 1.26.0
