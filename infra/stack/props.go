package stack

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
)

// Engine is the ElastiCache engine of the replication group.
type Engine string

// The engines the stack deploys. Both run the same Lua and commands (the
// floor is Redis 7.0, see DESIGN.md).
const (
	EngineValkey Engine = "valkey"
	EngineRedis  Engine = "redis"
)

// Props configures the Lambdis stack. Start from DefaultProps and change
// fields; New validates the result and panics with every problem listed.
type Props struct {
	StackProps awscdk.StackProps

	// RepoRoot is the repository root: functions/<fn> is checked against
	// the function table and dist/<fn> (built by `make build`) is each
	// function's code. DistDir replaces <RepoRoot>/dist when set (tests).
	RepoRoot string
	DistDir  string

	// Network.
	// NatGateways is 0 (default: isolated private subnets, AWS APIs through
	// interface endpoints only) or 1-2 (public subnets plus NAT gateways,
	// needed for webhooks to the internet).
	NatGateways int
	// FlowLogs records the VPC's traffic to CloudWatch Logs.
	FlowLogs bool

	// Cache.
	Engine        Engine
	EngineVersion string // "" means the engine's default (valkey 8.0, redis 7.1)
	CacheNodeType string
	// Shards is the number of node groups (cluster mode is always on);
	// ReplicasPerShard at least 1 (Multi-AZ automatic failover needs one).
	Shards           int
	ReplicasPerShard int
	// ReplicationGroupID names the group; CloudWatch names its nodes
	// <id>-<shard:4>-<node:3>, which the alarms use. Lower case, 1-40.
	ReplicationGroupID    string
	CachePort             int
	SnapshotRetentionDays int
	// CacheLogRetention keeps the engine's slow log.
	CacheLogRetention awslogs.RetentionDays
	// Alarm thresholds of the engine: CPU and memory in percent (highest
	// node), connections per node. Evictions alarm above 0, always.
	CacheCPUAlarmPercent    float64
	CacheMemoryAlarmPercent float64
	CacheConnectionsAlarm   float64

	// Functions.
	// Architecture is every function's instruction set: "arm64" (the
	// default, Graviton) or "x86_64". The CDK app reads it from LAMBDA_ARCH,
	// the variable `make build` compiles the bootstraps for; New refuses a
	// bootstrap built for the other one (see arch.go).
	Architecture string
	// Tracing turns on X-Ray active tracing for every function and the API
	// stage. Off by default: see docs/tracing.md for what a trace shows and
	// what it costs.
	Tracing bool
	// Memory overrides the table's memory size (MB) per function.
	Memory map[string]int
	// LogRetention of every function's log group, the API access log and
	// the VPC flow log.
	LogRetention awslogs.RetentionDays
	// LogLevel is LOG_LEVEL (debug also lowers Lambda's log filter, which
	// otherwise stays at INFO so that EMF metric lines are never dropped).
	LogLevel string
	// KeyPrefix is LAMBDIS_KEY_PREFIX; MetricsNamespace is
	// LAMBDIS_METRICS_NAMESPACE, which the alarms read.
	KeyPrefix        string
	MetricsNamespace string
	// WorkerReservedConcurrency caps concurrent worker runs (0: unreserved).
	WorkerReservedConcurrency int
	// Environment adds variables per function (REDIS_POOL_SIZE, ...). A
	// variable the stack sets itself cannot be overridden here.
	Environment map[string]map[string]string

	// Authentication (authorizer and revoke).
	// JWTJWKSURL, or JWTSecretARN (an existing HS256 secret), or neither:
	// the stack generates an HS256 secret in Secrets Manager.
	JWTJWKSURL   string
	JWTSecretARN string
	JWTIssuer    string
	JWTAudience  string
	// RateLimits is RATE_LIMITS; AnonymousRateLimits RATE_LIMITS_ANONYMOUS
	// (empty: anonymous callers get 401 from API Gateway, without invoking
	// the authorizer, because the Authorization header is the identity
	// source; set: the authorizer runs for every request).
	RateLimits          string
	AnonymousRateLimits string
	MaxTokenTTL         string // AUTHZ_MAX_TOKEN_TTL
	RateLimitFailOpen   bool   // AUTHZ_RATELIMIT_FAIL_OPEN
	RevocationFailOpen  bool   // AUTHZ_REVOCATION_FAIL_OPEN
	// AuthorizerP99AlarmMs is the authorizer's p99 duration alarm threshold.
	AuthorizerP99AlarmMs float64

	// Queue.
	// WorkerQueues, when set, are the only queues the scheduled run drains
	// (its input JSON and WORKER_QUEUES, a filter); empty (the default): the
	// run drains every registered queue. A wake names its own queue.
	WorkerQueues []string
	// WorkerLinger is WORKER_LINGER: how long a run stays idle, waiting for
	// work, before it returns (0s: return as soon as nothing is due).
	WorkerLinger time.Duration
	// WakeWorker lets the enqueue function wake the worker when it enqueues
	// due work on a queue with no worker awake (ENQUEUE_WAKE_FUNCTION, a grant
	// to invoke the worker and, without NAT, an interface endpoint for the
	// Lambda API). false: the schedule's ticks alone start runs.
	WakeWorker bool
	// JobRetention is JOB_RETENTION for both enqueue and worker.
	JobRetention string
	// WebhookAllowedURLs enables webhooks (WEBHOOK_ALLOWED_URLS); the stack
	// then generates the signing secret and needs NatGateways > 0.
	WebhookAllowedURLs []string
	// ScheduleRetryAttempts and ScheduleMaxEventAge are the Scheduler's
	// retry policy for delivering a tick to the worker (its defaults are
	// 185 attempts over 24 hours; a tick older than a minute is useless,
	// the next one is due).
	ScheduleRetryAttempts int
	ScheduleMaxEventAge   time.Duration

	// API.
	StageName            string
	ThrottleRateLimit    float64 // stage default requests per second
	ThrottleBurstLimit   float64
	CORSAllowOrigins     []string // empty: no CORS
	APIGatewayCloudWatch bool     // create the account's API Gateway logging role

	// AlarmTopicARN receives every alarm's state changes (empty: no action).
	AlarmTopicARN string
}

// DefaultProps are the production defaults: Valkey 8, two shards with one
// replica each, two AZs, no NAT.
func DefaultProps() Props {
	return Props{
		StackProps:                awscdk.StackProps{AnalyticsReporting: jsii.Bool(false)},
		NatGateways:               0,
		FlowLogs:                  true,
		Engine:                    EngineValkey,
		CacheNodeType:             "cache.t4g.small",
		Shards:                    2,
		ReplicasPerShard:          1,
		ReplicationGroupID:        "lambdis",
		CachePort:                 6379,
		SnapshotRetentionDays:     1,
		CacheLogRetention:         awslogs.RetentionDays_ONE_MONTH,
		CacheCPUAlarmPercent:      80,
		CacheMemoryAlarmPercent:   80,
		CacheConnectionsAlarm:     5000,
		LogRetention:              awslogs.RetentionDays_ONE_MONTH,
		LogLevel:                  "info",
		Architecture:              DefaultArchitecture,
		KeyPrefix:                 "lambdis",
		MetricsNamespace:          "Lambdis",
		WorkerReservedConcurrency: 2,
		RateLimits:                "per_second=10/1s:20,per_minute=300/1m",
		MaxTokenTTL:               "24h",
		RateLimitFailOpen:         true,
		RevocationFailOpen:        false,
		AuthorizerP99AlarmMs:      250,
		WorkerLinger:              5 * time.Second,
		WakeWorker:                true,
		JobRetention:              "24h",
		ScheduleRetryAttempts:     2,
		ScheduleMaxEventAge:       time.Minute,
		StageName:                 "prod",
		ThrottleRateLimit:         1000,
		ThrottleBurstLimit:        2000,
		APIGatewayCloudWatch:      true,
	}
}

var (
	replicationGroupIDRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)
	queueNameRE          = regexp.MustCompile(`^[^{}:\s\x00-\x1f]{1,64}$`)
	logLevels            = map[string]string{"debug": "DEBUG", "info": "INFO", "warn": "WARN", "error": "ERROR"}
)

// Validate lists every invalid field.
func (p Props) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if p.RepoRoot == "" {
		bad("RepoRoot is required")
	}
	if p.NatGateways < 0 || p.NatGateways > 2 {
		bad("NatGateways %d: want 0 (none) to 2 (one per AZ)", p.NatGateways)
	}
	switch p.Engine {
	case EngineValkey, EngineRedis:
	default:
		bad("Engine %q: want %q or %q", p.Engine, EngineValkey, EngineRedis)
	}
	if _, err := p.parameterGroupFamily(); err != nil && (p.Engine == EngineValkey || p.Engine == EngineRedis) {
		errs = append(errs, err)
	}
	if p.Shards < 1 || p.Shards > 500 {
		bad("Shards %d: want 1 to 500", p.Shards)
	}
	if p.ReplicasPerShard < 1 || p.ReplicasPerShard > 5 {
		bad("ReplicasPerShard %d: want 1 to 5 (Multi-AZ automatic failover needs a replica in every shard)", p.ReplicasPerShard)
	}
	if !replicationGroupIDRE.MatchString(p.ReplicationGroupID) || strings.HasSuffix(p.ReplicationGroupID, "-") || strings.Contains(p.ReplicationGroupID, "--") {
		bad("ReplicationGroupID %q: want 1-40 lower-case letters, digits and single hyphens, starting with a letter", p.ReplicationGroupID)
	}
	if p.CachePort < 1024 || p.CachePort > 65535 {
		bad("CachePort %d: want 1024 to 65535", p.CachePort)
	}
	if p.CacheNodeType == "" {
		bad("CacheNodeType is required")
	}
	if p.SnapshotRetentionDays < 0 || p.SnapshotRetentionDays > 35 {
		bad("SnapshotRetentionDays %d: want 0 to 35", p.SnapshotRetentionDays)
	}
	if p.LogRetention == "" || p.CacheLogRetention == "" {
		bad("LogRetention and CacheLogRetention are required")
	}
	if _, ok := archMachine[p.Architecture]; !ok {
		bad("Architecture %q: want %q or %q (%s)", p.Architecture, ArchARM64, ArchX86_64, ArchEnv)
	}
	if _, ok := logLevels[p.LogLevel]; !ok {
		bad("LogLevel %q: want debug, info, warn or error", p.LogLevel)
	}
	if p.KeyPrefix == "" || strings.ContainsAny(p.KeyPrefix, ":{} \t\r\n") {
		bad("KeyPrefix %q: want a non-empty prefix without ':', braces or spaces", p.KeyPrefix)
	}
	if p.MetricsNamespace == "" || strings.HasPrefix(p.MetricsNamespace, "AWS/") {
		bad("MetricsNamespace %q: want a custom namespace (not AWS/...)", p.MetricsNamespace)
	}
	if p.WorkerReservedConcurrency < 0 {
		bad("WorkerReservedConcurrency %d: want 0 (unreserved) or more", p.WorkerReservedConcurrency)
	}
	for fn, mb := range p.Memory {
		if _, ok := specByName(fn); !ok {
			bad("Memory[%q]: no such function", fn)
		}
		if mb < 128 || mb > 10240 {
			bad("Memory[%q] %d MB: want 128 to 10240", fn, mb)
		}
	}
	for fn, vars := range p.Environment {
		if _, ok := specByName(fn); !ok {
			bad("Environment[%q]: no such function", fn)
		}
		for _, k := range jobQueueVariables[fn] {
			if _, ok := vars[k]; ok {
				bad("Environment[%q][%q]: the stack sets this variable itself", fn, k)
			}
		}
	}
	if p.JWTJWKSURL != "" && p.JWTSecretARN != "" {
		bad("JWTJWKSURL and JWTSecretARN: set at most one")
	}
	if p.JWTJWKSURL != "" && !strings.HasPrefix(p.JWTJWKSURL, "https://") {
		bad("JWTJWKSURL %q: want an https:// URL", p.JWTJWKSURL)
	}
	if p.JWTJWKSURL != "" && p.NatGateways == 0 {
		bad("JWTJWKSURL needs NatGateways > 0: the authorizer fetches the JWKS from the internet")
	}
	if p.RateLimits == "" {
		bad("RateLimits is required (RATE_LIMITS)")
	}
	if p.MaxTokenTTL == "" {
		bad("MaxTokenTTL is required (AUTHZ_MAX_TOKEN_TTL)")
	}
	for _, q := range p.WorkerQueues {
		if !queueNameRE.MatchString(q) {
			bad("WorkerQueues: %q is not a queue name", q)
		}
	}
	if worker, ok := specByName("worker"); ok && (p.WorkerLinger < 0 || p.WorkerLinger >= worker.Timeout/2 || p.WorkerLinger%time.Millisecond != 0) {
		bad("WorkerLinger %v: want whole milliseconds from 0s to under half the worker's timeout (%v)", p.WorkerLinger, worker.Timeout)
	}
	if p.JobRetention == "" {
		bad("JobRetention is required (JOB_RETENTION)")
	}
	if len(p.WebhookAllowedURLs) > 0 && p.NatGateways == 0 {
		bad("WebhookAllowedURLs needs NatGateways > 0: the worker runs in private subnets and reaches the internet only through NAT")
	}
	if p.ScheduleRetryAttempts < 0 || p.ScheduleRetryAttempts > 185 {
		bad("ScheduleRetryAttempts %d: want 0 to 185", p.ScheduleRetryAttempts)
	}
	if p.ScheduleMaxEventAge < time.Minute || p.ScheduleMaxEventAge > 24*time.Hour || p.ScheduleMaxEventAge%time.Second != 0 {
		bad("ScheduleMaxEventAge %v: want whole seconds from 1m to 24h", p.ScheduleMaxEventAge)
	}
	if p.StageName == "" {
		bad("StageName is required")
	}
	if p.ThrottleRateLimit <= 0 || p.ThrottleBurstLimit <= 0 {
		bad("ThrottleRateLimit %v and ThrottleBurstLimit %v: want both above 0", p.ThrottleRateLimit, p.ThrottleBurstLimit)
	}
	for _, o := range p.CORSAllowOrigins {
		if o != "*" && !strings.HasPrefix(o, "https://") && !strings.HasPrefix(o, "http://") {
			bad("CORSAllowOrigins: %q is not an origin", o)
		}
	}
	if p.AuthorizerP99AlarmMs <= 0 {
		bad("AuthorizerP99AlarmMs %v: want above 0", p.AuthorizerP99AlarmMs)
	}
	return errors.Join(errs...)
}

// engineVersion is the configured or default engine version.
func (p Props) engineVersion() string {
	if p.EngineVersion != "" {
		return p.EngineVersion
	}
	if p.Engine == EngineRedis {
		return "7.1"
	}
	return "8.0"
}

// parameterGroupFamily is the parameter group family of the engine version:
// valkey7 / valkey8 for Valkey 7.2 / 8.x, redis7 for Redis OSS 7.x.
func (p Props) parameterGroupFamily() (string, error) {
	v := p.engineVersion()
	major, _, _ := strings.Cut(v, ".")
	switch {
	case p.Engine == EngineValkey && (major == "7" || major == "8"):
		return "valkey" + major, nil
	case p.Engine == EngineRedis && major == "7":
		return "redis7", nil
	}
	return "", fmt.Errorf("EngineVersion %q: %s supports valkey 7.2/8.x and redis 7.x (the floor is Redis 7.0)", v, p.Engine)
}

// applicationLogLevel is Lambda's application log level filter: DEBUG when
// LogLevel is debug, INFO otherwise. LOG_LEVEL filters the functions' own
// lines; Lambda's filter must not drop INFO, because it treats a JSON line
// without a "level" key as INFO, and the EMF metric documents the alarms
// read have none.
func (p Props) applicationLogLevel() string {
	if p.LogLevel == "debug" {
		return "DEBUG"
	}
	return "INFO"
}
