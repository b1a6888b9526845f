package stack

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// The enqueue function may invoke the worker function and nothing else: of
// every role in the template, only the enqueue function's and the
// schedule's may call Lambda, each only lambda:InvokeFunction on the
// worker's ARN (not <arn>:*, not "*"); ENQUEUE_WAKE_FUNCTION names the
// worker.
func TestEnqueueMayInvokeTheWorkerOnly(t *testing.T) {
	s := defaults(t)
	enqueueRole := ref(props(s.resource(t, "EnqueueFunction"))["Role"])
	_, sch := s.only(t, "AWS::Scheduler::Schedule")
	scheduleRole := ref(props(sch)["Target"].(map[string]any)["RoleArn"])
	invokers := map[string]bool{}
	for id := range s.resources("AWS::IAM::Role") {
		for _, st := range roleStatements(t, s, id) {
			for _, a := range st.Actions {
				if !strings.HasPrefix(a, "lambda:") && a != "*" && !strings.HasSuffix(a, ":*") {
					continue
				}
				invokers[id] = true
				got, _ := json.Marshal(st)
				if a != "lambda:InvokeFunction" || len(st.Actions) != 1 || len(st.Resources) != 1 || st.Resources[0] != "WorkerFunction.Arn" {
					t.Errorf("role %s grants %s, want lambda:InvokeFunction on WorkerFunction.Arn alone", id, got)
				}
			}
		}
	}
	if len(invokers) != 2 || !invokers[enqueueRole] || !invokers[scheduleRole] {
		t.Errorf("roles that may call Lambda: %v, want the enqueue function's (%s) and the schedule's (%s)", invokers, enqueueRole, scheduleRole)
	}
	env := props(s.resource(t, "EnqueueFunction"))["Environment"].(map[string]any)["Variables"].(map[string]any)
	if ref(env[EnvWakeFunction]) != "WorkerFunction" {
		t.Errorf("%s = %s, want the worker's name", EnvWakeFunction, js(env[EnvWakeFunction]))
	}
}

// The worker's timeout is longer than the schedule's interval, so that a
// run lingering on due work overlaps the next tick; WORKER_FUNCTION_TIMEOUT
// follows it; the reserved concurrency still bounds the runs that wakes and
// ticks start.
func TestWorkerOutlivesTheTick(t *testing.T) {
	s := defaults(t)
	p := props(s.resource(t, "WorkerFunction"))
	timeout := time.Duration(p["Timeout"].(float64)) * time.Second
	_, sch := s.only(t, "AWS::Scheduler::Schedule")
	if expr := props(sch)["ScheduleExpression"]; expr != ScheduleExpression || ScheduleExpression != "rate(1 minute)" || ScheduleInterval != time.Minute {
		t.Fatalf("schedule %v: ScheduleInterval no longer matches it", expr)
	}
	if timeout <= ScheduleInterval {
		t.Errorf("worker timeout %v, want longer than the schedule's interval %v", timeout, ScheduleInterval)
	}
	// A run starts jobs until its timeout less the job timeout (half the
	// function's, at most 30s) and a 1s reserve: that window must cover the
	// interval, or a delayed job due in the gap waits for the next tick.
	if window := timeout - min(30*time.Second, timeout/2) - time.Second; window < ScheduleInterval {
		t.Errorf("worker timeout %v: a run starts jobs for %v, less than the schedule's interval %v", timeout, window, ScheduleInterval)
	}
	env := p["Environment"].(map[string]any)["Variables"].(map[string]any)
	if ft, err := time.ParseDuration(env["WORKER_FUNCTION_TIMEOUT"].(string)); err != nil || ft != timeout {
		t.Errorf("WORKER_FUNCTION_TIMEOUT %v (%v), want the function's timeout %v", env["WORKER_FUNCTION_TIMEOUT"], err, timeout)
	}
	if env[EnvWorkerLinger] != "5s" {
		t.Errorf("%s = %v, want the default 5s", EnvWorkerLinger, env[EnvWorkerLinger])
	}
	if p["ReservedConcurrentExecutions"] != float64(2) {
		t.Errorf("ReservedConcurrentExecutions = %v, want 2: wakes must not start unbounded runs", p["ReservedConcurrentExecutions"])
	}
}

// WorkerQueues, when set, filter the tick (its input and WORKER_QUEUES);
// WorkerLinger sets WORKER_LINGER.
func TestWorkerQueuesFilterAndLinger(t *testing.T) {
	s := synth(t, "filtered", func(p *Props) {
		p.WorkerQueues = []string{"default", "cache"}
		p.WorkerLinger = 1500 * time.Millisecond
	})
	_, sch := s.only(t, "AWS::Scheduler::Schedule")
	if in := props(sch)["Target"].(map[string]any)["Input"]; in != `{"queues":["default","cache"]}` {
		t.Errorf("Input = %v, want the filter", in)
	}
	env := props(s.resource(t, "WorkerFunction"))["Environment"].(map[string]any)["Variables"].(map[string]any)
	if env["WORKER_QUEUES"] != "default,cache" || env[EnvWorkerLinger] != "1.5s" {
		t.Errorf("WORKER_QUEUES %v, %s %v", env["WORKER_QUEUES"], EnvWorkerLinger, env[EnvWorkerLinger])
	}
}

// The job queue's props are validated with the field named.
func TestJobQueuePropsValidate(t *testing.T) {
	for _, c := range []struct {
		name   string
		mutate func(*Props)
		want   string
	}{
		{"negative linger", func(p *Props) { p.WorkerLinger = -time.Second }, "WorkerLinger"},
		{"linger as long as a run", func(p *Props) { p.WorkerLinger = time.Minute }, "WorkerLinger"},
		{"sub-millisecond linger", func(p *Props) { p.WorkerLinger = time.Second + time.Microsecond }, "WorkerLinger"},
		{"bad queue", func(p *Props) { p.WorkerQueues = []string{"a:b"} }, "WorkerQueues"},
		{"override the wake", func(p *Props) {
			p.Environment = map[string]map[string]string{"enqueue": {EnvWakeFunction: "other-function"}}
		}, EnvWakeFunction},
		{"override the linger", func(p *Props) {
			p.Environment = map[string]map[string]string{"worker": {EnvWorkerLinger: "1m"}}
		}, EnvWorkerLinger},
	} {
		p := DefaultProps()
		p.RepoRoot = "/repo"
		c.mutate(&p)
		if err := p.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Validate() = %v, want an error naming %s", c.name, err, c.want)
		}
	}
	p := DefaultProps()
	p.RepoRoot, p.WorkerQueues, p.WorkerLinger = "/repo", nil, 0
	if err := p.Validate(); err != nil {
		t.Errorf("no WorkerQueues and no linger: %v, want valid", err)
	}
}

// lambdaEndpoints are the interface endpoints for the Lambda API.
func lambdaEndpoints(s *synthesized) []string {
	var out []string
	for id, ep := range s.resources("AWS::EC2::VPCEndpoint") {
		name := js(props(ep)["ServiceName"])
		if strings.Contains(name, `.lambda"`) || strings.HasSuffix(strings.Trim(name, `"`), ".lambda") {
			out = append(out, id)
		}
	}
	return out
}

// Without NAT (the default) the enqueue function reaches the Lambda API
// through an interface endpoint (in the private subnets, behind the
// endpoints' security group: TestNetworkWithoutNAT checks every endpoint);
// with NAT it goes through NAT and no endpoint is made.
// WakeWorker false: no wake at all — no variable, no grant, no endpoint.
func TestWakeNeedsTheLambdaAPI(t *testing.T) {
	if eps := lambdaEndpoints(defaults(t)); len(eps) != 1 {
		t.Errorf("default: Lambda endpoints %v, want one", eps)
	}
	nat := synth(t, "nat", func(p *Props) {
		p.NatGateways = 2
		p.WebhookAllowedURLs = []string{"https://hooks.example.com/"}
	})
	if eps := lambdaEndpoints(nat); len(eps) != 0 {
		t.Errorf("with NAT: Lambda endpoints %v, want none", eps)
	}
	off := synth(t, "nowake", func(p *Props) { p.WakeWorker = false })
	if eps := lambdaEndpoints(off); len(eps) != 0 {
		t.Errorf("WakeWorker false: Lambda endpoints %v, want none", eps)
	}
	env := props(off.resource(t, "EnqueueFunction"))["Environment"].(map[string]any)["Variables"].(map[string]any)
	if v, ok := env[EnvWakeFunction]; ok {
		t.Errorf("WakeWorker false: %s = %s, want unset", EnvWakeFunction, js(v))
	}
	for _, st := range roleStatements(t, off, ref(props(off.resource(t, "EnqueueFunction"))["Role"])) {
		if slices.ContainsFunc(st.Actions, func(a string) bool { return strings.HasPrefix(a, "lambda:") }) {
			t.Errorf("WakeWorker false: the enqueue role still grants %v", st)
		}
	}
}
