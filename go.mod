module github.com/signedgate/gateway

go 1.26.8
