package drainer

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lambdis/lambdis/shared/envvar"
	"github.com/lambdis/lambdis/shared/queue"
)

// Environment variables of the worker (besides REDIS_*, LAMBDIS_KEY_PREFIX
// and the job handlers' own, read by their packages).
const (
	EnvQueues          = "WORKER_QUEUES"           // comma list drained when the input names none (default: every registered queue)
	EnvWeights         = "WORKER_WEIGHTS"          // queue:weight list, e.g. critical:6,default:3,low:1 (1 each)
	EnvPriority        = "WORKER_PRIORITY"         // weighted (default) or strict
	EnvLinger          = "WORKER_LINGER"           // how long an idle run waits for new work before it returns (5s)
	EnvConcurrency     = "WORKER_CONCURRENCY"      // jobs run at once (10)
	EnvBatch           = "WORKER_BATCH"            // entries read per XREADGROUP (100)
	EnvJobTimeout      = "WORKER_JOB_TIMEOUT"      // per job (half the function timeout, at most 30s)
	EnvFunctionTimeout = "WORKER_FUNCTION_TIMEOUT" // the Lambda's configured timeout (60s)
	EnvReclaimMargin   = "WORKER_RECLAIM_MARGIN"   // added to it before an entry counts as orphaned (30s)
	EnvMaxDeliveries   = "WORKER_MAX_DELIVERIES"   // deliveries of one attempt before dead-lettering (5)
	EnvBackoffBase     = "WORKER_BACKOFF_BASE"     // first retry's backoff ceiling (1s)
	EnvBackoffMax      = "WORKER_BACKOFF_MAX"      // backoff cap (1h)
	EnvRetention       = queue.EnvRetention        // finished records kept (24h)
)

// Bounds of the variables.
const (
	MaxConcurrency = 1000
	MaxBatch       = 1000
	MaxQueues      = 50
	MaxWeight      = 1000
	// DefaultLinger keeps a run this long after its last job, for new
	// work (the doorbell) before it returns.
	DefaultLinger = 5 * time.Second
	// MaxFunctionTimeout is Lambda's longest timeout.
	MaxFunctionTimeout = 15 * time.Minute
	// DefaultFunctionTimeout applies when WORKER_FUNCTION_TIMEOUT is unset;
	// the stack sets it to the function's timeout.
	DefaultFunctionTimeout = time.Minute
	// maxSettleReserve is the time kept at the end of a run to settle and
	// give back; shorter timeouts keep an eighth of the run.
	maxSettleReserve = time.Second
	// maxDefaultJobTimeout caps the default job timeout (half the function's).
	maxDefaultJobTimeout = 30 * time.Second
)

// Config is the worker's behaviour.
type Config struct {
	// Queues are drained when the invocation's input names none; when
	// empty, every registered queue is.
	Queues []string
	// Weights and Strict share a run between its queues (queue.Plan).
	Weights map[string]int
	Strict  bool
	// Worker tunes the drain; FunctionTimeout must be the Lambda's timeout,
	// or a live worker's jobs may be reclaimed and run twice.
	Worker queue.WorkerConfig
	// Retention keeps finished job records (and idempotency keys).
	Retention time.Duration
}

// ConfigFromEnv reads the variables above; errors name the variable. The
// job timeout and the settle reserve default to fractions of the function
// timeout, so that a run always has time to read and settle a batch.
func ConfigFromEnv(get envvar.Getenv) (Config, error) {
	var c Config
	var err error
	raw := envvar.String(get, EnvQueues, "")
	if c.Queues, err = ParseQueues(raw); err != nil {
		return Config{}, envvar.Wrap(EnvQueues, raw, err)
	}
	rawW := envvar.String(get, EnvWeights, "")
	if c.Weights, err = ParseWeights(rawW); err != nil {
		return Config{}, envvar.Wrap(EnvWeights, rawW, err)
	}
	switch p := envvar.String(get, EnvPriority, "weighted"); p {
	case "weighted", "":
	case "strict":
		c.Strict = true
	default:
		return Config{}, &envvar.Error{Var: EnvPriority, Value: p, Reason: `must be "weighted" or "strict"`}
	}
	w := &c.Worker
	if w.Linger, err = envvar.Duration(get, EnvLinger, DefaultLinger, 0, MaxFunctionTimeout); err != nil {
		return Config{}, err
	}
	conc, err := envvar.Int(get, EnvConcurrency, 10, 1, MaxConcurrency)
	if err != nil {
		return Config{}, err
	}
	batch, err := envvar.Int(get, EnvBatch, 100, 1, MaxBatch)
	if err != nil {
		return Config{}, err
	}
	deliveries, err := envvar.Int(get, EnvMaxDeliveries, 5, 1, 100)
	if err != nil {
		return Config{}, err
	}
	w.Concurrency, w.Batch, w.MaxDeliveries = int(conc), int(batch), int(deliveries)
	if w.FunctionTimeout, err = envvar.Duration(get, EnvFunctionTimeout, DefaultFunctionTimeout, time.Second, MaxFunctionTimeout); err != nil {
		return Config{}, err
	}
	w.SettleReserve = min(maxSettleReserve, w.FunctionTimeout/8)
	room := w.FunctionTimeout - w.SettleReserve // a job must start and settle within one run
	if w.JobTimeout, err = envvar.Duration(get, EnvJobTimeout, min(maxDefaultJobTimeout, w.FunctionTimeout/2), time.Millisecond, MaxFunctionTimeout); err != nil {
		return Config{}, err
	}
	if w.JobTimeout >= room {
		return Config{}, &envvar.Error{Var: EnvJobTimeout, Value: get(EnvJobTimeout), Reason: fmt.Sprintf(
			"must be shorter than %s (%v) minus the settle reserve (%v), or no job could ever start", EnvFunctionTimeout, w.FunctionTimeout, w.SettleReserve)}
	}
	if w.ReclaimMargin, err = envvar.Duration(get, EnvReclaimMargin, 30*time.Second, 100*time.Millisecond, time.Hour); err != nil {
		return Config{}, err
	}
	if w.Backoff.Base, err = envvar.Duration(get, EnvBackoffBase, queue.DefaultBackoff.Base, time.Millisecond, 24*time.Hour); err != nil {
		return Config{}, err
	}
	if w.Backoff.Max, err = envvar.Duration(get, EnvBackoffMax, queue.DefaultBackoff.Max, time.Millisecond, 7*24*time.Hour); err != nil {
		return Config{}, err
	}
	if w.Backoff.Max < w.Backoff.Base {
		return Config{}, &envvar.Error{Var: EnvBackoffMax, Value: get(EnvBackoffMax), Reason: fmt.Sprintf(
			"must not be shorter than %s (%v)", EnvBackoffBase, w.Backoff.Base)}
	}
	if c.Retention, err = queue.RetentionFromEnv(get); err != nil {
		return Config{}, err
	}
	return c, nil
}

// ParseQueues parses a comma-separated list of queue names (spaces around
// names ignored); an empty list is nil. Names must be valid and distinct.
func ParseQueues(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []string
	for _, q := range strings.Split(s, ",") {
		out = append(out, strings.TrimSpace(q))
	}
	if err := validQueues(out); err != nil {
		return nil, err
	}
	return out, nil
}

// ParseWeights parses "queue:weight" pairs separated by commas (spaces
// ignored); weights are 1 to MaxWeight, queues valid and distinct.
func ParseWeights(s string) (map[string]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	out := map[string]int{}
	for _, pair := range strings.Split(s, ",") {
		q, n, ok := strings.Cut(strings.TrimSpace(pair), ":")
		q = strings.TrimSpace(q)
		if !ok {
			return nil, fmt.Errorf("%q: want queue:weight", pair)
		}
		wt, err := strconv.Atoi(strings.TrimSpace(n))
		if err != nil || wt < 1 || wt > MaxWeight {
			return nil, fmt.Errorf("%q: the weight must be a whole number from 1 to %d", pair, MaxWeight)
		}
		if err := queue.ValidateQueueName(q); err != nil {
			return nil, err
		}
		if _, dup := out[q]; dup {
			return nil, fmt.Errorf("queue %q is weighted twice", q)
		}
		out[q] = wt
	}
	return out, nil
}

// validQueues checks a list of queue names: valid, distinct, not too many.
func validQueues(qs []string) error {
	if len(qs) > MaxQueues {
		return fmt.Errorf("%d queues, the limit is %d", len(qs), MaxQueues)
	}
	seen := make(map[string]bool, len(qs))
	for _, q := range qs {
		if err := queue.ValidateQueueName(q); err != nil {
			return err
		}
		if seen[q] {
			return fmt.Errorf("queue %q is named twice", q)
		}
		seen[q] = true
	}
	return nil
}

// StartWindow is how long into a run jobs may start: a job starts only if it
// can run WORKER_JOB_TIMEOUT and be settled before the function's timeout.
// Warning is set when the settings leave less than a quarter of the run
// for that, naming the setting to change.
func (c Config) StartWindow() (window time.Duration, warning string) {
	w := c.Worker
	window = w.FunctionTimeout - w.JobTimeout - w.SettleReserve
	if window < w.FunctionTimeout/4 {
		warning = fmt.Sprintf("%s=%v leaves a run only %v of its %v (%s) to start jobs: a job starts only while it can still finish and settle; lower %s or raise the function's timeout",
			EnvJobTimeout, w.JobTimeout, window, w.FunctionTimeout, EnvFunctionTimeout, EnvJobTimeout)
	}
	return window, warning
}
