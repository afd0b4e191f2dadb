package app

import "github.com/signedgate/gateway/internal/objects"

// s3Defaults is the gateway-wide S3 configuration (GATEWAY_S3_*): what
// s3:// bucket origins, uploads into them and outputs in S3 use where their
// own settings say nothing. Empty credentials mean the AWS chain.
func (a *App) s3Defaults() objects.S3Config {
	c := a.Config.S3
	return objects.S3Config{Endpoint: c.Endpoint, Region: c.Region, ForcePathStyle: c.ForcePathStyle,
		AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey}
}
