package redisconn

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// The environment variables ConfigFromEnv reads. See the package
// documentation (or ENV.md) for each one's meaning and default.
const (
	EnvURL             = "REDIS_URL"
	EnvAddrs           = "REDIS_ADDRS"
	EnvCluster         = "REDIS_CLUSTER"
	EnvUsername        = "REDIS_USERNAME"
	EnvPassword        = "REDIS_PASSWORD"
	EnvAuthSecretARN   = "REDIS_AUTH_SECRET_ARN"
	EnvTLS             = "REDIS_TLS"
	EnvTLSServerName   = "REDIS_TLS_SERVER_NAME"
	EnvTLSCAFile       = "REDIS_TLS_CA_FILE"
	EnvPoolSize        = "REDIS_POOL_SIZE"
	EnvMinIdleConns    = "REDIS_MIN_IDLE_CONNS"
	EnvConnMaxIdleTime = "REDIS_CONN_MAX_IDLE_TIME"
	EnvMaxRetries      = "REDIS_MAX_RETRIES"
	EnvDialTimeout     = "REDIS_DIAL_TIMEOUT"
	EnvReadTimeout     = "REDIS_READ_TIMEOUT"
	EnvWriteTimeout    = "REDIS_WRITE_TIMEOUT"
	EnvPoolTimeout     = "REDIS_POOL_TIMEOUT"
)

// Defaults, tuned for one Lambda execution environment: it serves one
// invocation at a time, may be frozen between invocations, and has a budget
// of seconds, not minutes.
const (
	DefaultPoolSize        = 4
	DefaultMinIdleConns    = 0
	DefaultConnMaxIdleTime = 20 * time.Second
	DefaultMaxRetries      = 2
	DefaultDialTimeout     = 500 * time.Millisecond
	DefaultReadTimeout     = 200 * time.Millisecond
	DefaultWriteTimeout    = 200 * time.Millisecond
	DefaultPoolTimeout     = 1 * time.Second

	// MaxDuration bounds every duration setting.
	MaxDuration = 30 * time.Second
)

// Config says how to reach Redis and how to size the client. Each field is
// set by the environment variable named in its comment; a zero numeric or
// duration field means the default.
type Config struct {
	// Addrs holds host:port addresses: one for a standalone server (or a
	// cluster's configuration endpoint), one or more seeds for a cluster.
	// REDIS_URL (its host) or REDIS_ADDRS.
	Addrs []string
	// Cluster makes the client a cluster client, even with one address
	// (ElastiCache cluster mode configuration endpoint, ElastiCache
	// Serverless). REDIS_CLUSTER.
	Cluster bool
	// DB is the database number (standalone only). The path of REDIS_URL.
	DB int

	// Username and Password are sent with HELLO/AUTH. REDIS_USERNAME and
	// REDIS_PASSWORD, or the user information of REDIS_URL.
	Username string
	Password string
	// AuthSecretARN names a Secrets Manager secret holding the password, as
	// a plain string or as the "password" field of a JSON object. New reads
	// it once. REDIS_AUTH_SECRET_ARN.
	AuthSecretARN string

	// TLS turns on TLS (minimum version 1.2). REDIS_TLS, or a rediss:// URL.
	TLS bool
	// TLSServerName overrides the name verified in the server certificate;
	// empty means the host of each address dialled. REDIS_TLS_SERVER_NAME.
	TLSServerName string
	// TLSCAFile is a PEM file of the only CAs trusted; empty means the
	// system roots. REDIS_TLS_CA_FILE.
	TLSCAFile string

	PoolSize        int           // REDIS_POOL_SIZE
	MinIdleConns    int           // REDIS_MIN_IDLE_CONNS
	ConnMaxIdleTime time.Duration // REDIS_CONN_MAX_IDLE_TIME
	MaxRetries      int           // REDIS_MAX_RETRIES
	DialTimeout     time.Duration // REDIS_DIAL_TIMEOUT
	ReadTimeout     time.Duration // REDIS_READ_TIMEOUT
	WriteTimeout    time.Duration // REDIS_WRITE_TIMEOUT
	PoolTimeout     time.Duration // REDIS_POOL_TIMEOUT

	// SkipPing makes New return without contacting Redis (tests of wiring,
	// tools that connect later). Not set from the environment.
	SkipPing bool
}

// intField and durField tie a numeric field to its variable, its default and
// its bounds, so that parsing, defaulting and validation share one table.
type intField struct {
	env      string
	p        *int
	def      int
	min, max int
}

type durField struct {
	env string
	p   *time.Duration
	def time.Duration
}

func (c *Config) intFields() []intField {
	return []intField{
		{EnvPoolSize, &c.PoolSize, DefaultPoolSize, 1, 256},
		{EnvMinIdleConns, &c.MinIdleConns, DefaultMinIdleConns, 0, 256},
		{EnvMaxRetries, &c.MaxRetries, DefaultMaxRetries, 1, 10},
	}
}

func (c *Config) durFields() []durField {
	return []durField{
		{EnvConnMaxIdleTime, &c.ConnMaxIdleTime, DefaultConnMaxIdleTime},
		{EnvDialTimeout, &c.DialTimeout, DefaultDialTimeout},
		{EnvReadTimeout, &c.ReadTimeout, DefaultReadTimeout},
		{EnvWriteTimeout, &c.WriteTimeout, DefaultWriteTimeout},
		{EnvPoolTimeout, &c.PoolTimeout, DefaultPoolTimeout},
	}
}

// withDefaults returns c with every zero numeric or duration field set to its
// default.
func (c Config) withDefaults() Config {
	for _, f := range c.intFields() {
		if *f.p == 0 {
			*f.p = f.def
		}
	}
	for _, f := range c.durFields() {
		if *f.p == 0 {
			*f.p = f.def
		}
	}
	return c
}

// Validate reports the first setting of c that is out of range or
// contradicts another, as a *ConfigError. Zero numeric fields are checked as
// their defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	if len(c.Addrs) == 0 {
		return &ConfigError{Var: EnvURL, Reason: "neither " + EnvURL + " nor " + EnvAddrs + " is set", Err: ErrNotConfigured}
	}
	for i, a := range c.Addrs {
		if err := checkAddr(a); err != nil {
			return configErr(EnvAddrs, fmt.Sprintf("address %d: %v", i+1, err))
		}
	}
	if len(c.Addrs) > 1 && !c.Cluster {
		return configErr(EnvAddrs, fmt.Sprintf("%d addresses need %s=true (a standalone server has one address)", len(c.Addrs), EnvCluster))
	}
	if c.DB < 0 {
		return configErr(EnvURL, fmt.Sprintf("database %d is negative", c.DB))
	}
	if c.Cluster && c.DB != 0 {
		return configErr(EnvURL, fmt.Sprintf("database %d: a cluster has only database 0", c.DB))
	}
	if c.Password != "" && c.AuthSecretARN != "" {
		return configErr(EnvAuthSecretARN, "the password is also set by "+EnvPassword+" or "+EnvURL+"; set it in one place")
	}
	if c.AuthSecretARN != "" {
		if err := checkSecretARN(c.AuthSecretARN); err != nil {
			return configErr(EnvAuthSecretARN, err.Error())
		}
	}
	if !c.TLS {
		if c.TLSServerName != "" {
			return configErr(EnvTLSServerName, "is set but TLS is off ("+EnvTLS+"=false)")
		}
		if c.TLSCAFile != "" {
			return configErr(EnvTLSCAFile, "is set but TLS is off ("+EnvTLS+"=false)")
		}
	}
	for _, f := range c.intFields() {
		if *f.p < f.min || *f.p > f.max {
			return configErr(f.env, fmt.Sprintf("%d is outside %d..%d", *f.p, f.min, f.max))
		}
	}
	if c.MinIdleConns > c.PoolSize {
		return configErr(EnvMinIdleConns, fmt.Sprintf("%d is more than %s (%d)", c.MinIdleConns, EnvPoolSize, c.PoolSize))
	}
	for _, f := range c.durFields() {
		if why := checkDuration(*f.p); why != "" {
			return configErr(f.env, fmt.Sprintf("%s %s", *f.p, why))
		}
	}
	return nil
}

// checkAddr accepts host:port with a non-empty host and a port in 1..65535.
func checkAddr(a string) error {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return fmt.Errorf("%q is not host:port", a)
	}
	if host == "" {
		return fmt.Errorf("%q has no host", a)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%q: port %q is not a number in 1..65535", a, port)
	}
	return nil
}

func checkSecretARN(s string) error {
	a, err := arn.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not an ARN", s)
	}
	if a.Service != "secretsmanager" {
		return fmt.Errorf("%q is not a Secrets Manager ARN (service %q)", s, a.Service)
	}
	return nil
}

// checkDuration returns why d is out of range, or "".
func checkDuration(d time.Duration) string {
	if d <= 0 {
		return "must be greater than 0"
	}
	if d > MaxDuration {
		return "is more than " + MaxDuration.String()
	}
	return ""
}

// String describes c for logs; it shows whether a password is set, never the
// password.
func (c Config) String() string {
	var b strings.Builder
	mode := "standalone"
	if c.Cluster {
		mode = "cluster"
	}
	fmt.Fprintf(&b, "redisconn.Config{%s %s", mode, strings.Join(c.Addrs, ","))
	if c.DB != 0 {
		fmt.Fprintf(&b, " db=%d", c.DB)
	}
	if c.Username != "" {
		fmt.Fprintf(&b, " user=%s", c.Username)
	}
	switch {
	case c.Password != "":
		b.WriteString(" password=set")
	case c.AuthSecretARN != "":
		fmt.Fprintf(&b, " password=secret:%s", c.AuthSecretARN)
	}
	if c.TLS {
		b.WriteString(" tls")
		if c.TLSServerName != "" {
			fmt.Fprintf(&b, " tls_server_name=%s", c.TLSServerName)
		}
		if c.TLSCAFile != "" {
			fmt.Fprintf(&b, " tls_ca_file=%s", c.TLSCAFile)
		}
	}
	d := c.withDefaults()
	fmt.Fprintf(&b, " pool=%d min_idle=%d max_idle_time=%s retries=%d dial=%s read=%s write=%s pool_timeout=%s}",
		d.PoolSize, d.MinIdleConns, d.ConnMaxIdleTime, d.MaxRetries, d.DialTimeout, d.ReadTimeout, d.WriteTimeout, d.PoolTimeout)
	return b.String()
}
