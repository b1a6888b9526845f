package redisconn

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// tlsConfig returns the TLS settings for c, or nil when TLS is off. With no
// server name set, crypto/tls verifies each connection against the host it
// dialled, which is what a cluster needs (every node has its own name).
func (c Config) tlsConfig() (*tls.Config, error) {
	if !c.TLS {
		return nil, nil
	}
	tc := &tls.Config{
		MinVersion: tls.VersionTLS12,
		ServerName: c.TLSServerName,
	}
	if c.TLSCAFile != "" {
		pem, err := os.ReadFile(c.TLSCAFile)
		if err != nil {
			return nil, &ConfigError{Var: EnvTLSCAFile, Reason: "cannot read the CA file", Err: err}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, configErr(EnvTLSCAFile, fmt.Sprintf("%q holds no PEM certificate", c.TLSCAFile))
		}
		tc.RootCAs = pool
	}
	return tc, nil
}
