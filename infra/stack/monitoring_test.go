package stack

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
)

// EventBridge Scheduler invokes the worker every minute with its own input
// JSON and an explicit retry policy, through a role that may invoke the
// worker and nothing else.
func TestWorkerSchedule(t *testing.T) {
	s := defaults(t)
	_, sch := s.only(t, "AWS::Scheduler::Schedule")
	p := props(sch)
	if p["ScheduleExpression"] != "rate(1 minute)" || p["State"] != "ENABLED" || js(p["FlexibleTimeWindow"]) != `{"Mode":"OFF"}` {
		t.Errorf("schedule %s, want rate(1 minute), enabled, no flexible window", js(p))
	}
	target := p["Target"].(map[string]any)
	if getAtt(target["Arn"]) != "WorkerFunction.Arn" {
		t.Errorf("target %s, want the WorkerFunction", js(target["Arn"]))
	}
	if js(target["RetryPolicy"]) != `{"MaximumEventAgeInSeconds":60,"MaximumRetryAttempts":2}` {
		t.Errorf("RetryPolicy = %s, want 2 attempts within 60 s", js(target["RetryPolicy"]))
	}
	// The input is the worker's own JSON, not an EventBridge envelope.
	var in map[string]any
	dec := json.NewDecoder(strings.NewReader(target["Input"].(string)))
	dec.UseNumber()
	if err := dec.Decode(&in); err != nil {
		t.Fatalf("Input %q: %v", target["Input"], err)
	}
	if len(in) != 0 {
		t.Errorf("Input = %s, want {}: a tick names no queue and drains every registered one", target["Input"])
	}
	check(t, "schedule", func() {
		s.template.HasResourceProperties(jsii.String("AWS::Scheduler::Schedule"), map[string]any{
			"ScheduleExpression": "rate(1 minute)",
			"Target":             map[string]any{"RetryPolicy": map[string]any{"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 60}},
		})
	})
	role := ref(target["RoleArn"])
	trust := js(props(s.resource(t, role))["AssumeRolePolicyDocument"])
	if !strings.Contains(trust, `"Service":"scheduler.amazonaws.com"`) || !strings.Contains(trust, `"aws:SourceAccount"`) {
		t.Errorf("schedule role trust %s, want scheduler.amazonaws.com limited to this account", trust)
	}
	got, _ := json.Marshal(roleStatements(t, s, role))
	want, _ := json.Marshal([]statement{{Actions: []string{"lambda:InvokeFunction"}, Resources: []string{"WorkerFunction.Arn"}}})
	if string(got) != string(want) {
		t.Errorf("schedule role grants %s, want %s", got, want)
	}
}

// The worker: reserved concurrency by prop; a tick is not retried by
// Lambda's asynchronous invocation and expires with the schedule's age;
// its function timeout is in its environment (the reclaim rule needs it).
func TestWorkerFunction(t *testing.T) {
	s := defaults(t)
	p := props(s.resource(t, "WorkerFunction"))
	if p["ReservedConcurrentExecutions"] != float64(2) {
		t.Errorf("ReservedConcurrentExecutions = %v, want 2", p["ReservedConcurrentExecutions"])
	}
	_, cfg := s.only(t, "AWS::Lambda::EventInvokeConfig")
	c := props(cfg)
	if ref(c["FunctionName"]) != "WorkerFunction" || c["MaximumRetryAttempts"] != float64(0) || c["MaximumEventAgeInSeconds"] != float64(60) {
		t.Errorf("EventInvokeConfig %s, want the worker with 0 retries and 60 s", js(c))
	}
	env := p["Environment"].(map[string]any)["Variables"].(map[string]any)
	if env["WORKER_FUNCTION_TIMEOUT"] != "2m0s" || p["Timeout"] != float64(120) {
		t.Errorf("WORKER_FUNCTION_TIMEOUT %v with Timeout %v, want them equal (120 s)", env["WORKER_FUNCTION_TIMEOUT"], p["Timeout"])
	}
	enq := props(s.resource(t, "EnqueueFunction"))["Environment"].(map[string]any)["Variables"].(map[string]any)
	if env["JOB_RETENTION"] != enq["JOB_RETENTION"] {
		t.Errorf("JOB_RETENTION worker %v, enqueue %v: they must agree", env["JOB_RETENTION"], enq["JOB_RETENTION"])
	}
	for _, fn := range []string{"RatelimitFunction", "RevokeFunction", "EnqueueFunction", "LeaderboardFunction"} {
		if _, ok := props(s.resource(t, fn))["ReservedConcurrentExecutions"]; ok {
			t.Errorf("%s has reserved concurrency; only the worker's is set", fn)
		}
	}
	un := synth(t, "unreserved", func(p *Props) { p.WorkerReservedConcurrency = 0 })
	if v, ok := props(un.resource(t, "WorkerFunction"))["ReservedConcurrentExecutions"]; ok {
		t.Errorf("WorkerReservedConcurrency 0: ReservedConcurrentExecutions = %v, want unset", v)
	}
}

// alarmByPrefix returns the alarm whose logical id is id + CDK's hash.
func alarmByPrefix(t *testing.T, s *synthesized, id string) map[string]any {
	t.Helper()
	return props(s.resource(t, s.idOf(t, "AWS::CloudWatch::Alarm", id)))
}

// Each alarm: what it watches and when it fires.
func TestAlarms(t *testing.T) {
	s := defaults(t)
	simple := []struct {
		id, namespace, metric, stat, dims string
		threshold                         float64
	}{
		{AlarmDeadLetters, "Lambdis", "Dead", "Sum", `[{"Name":"Function","Value":"worker"}]`, 0},
		{AlarmLostJobs, "Lambdis", "Lost", "Sum", `[{"Name":"Function","Value":"worker"}]`, 0},
		{AlarmWorkerErrors, "AWS/Lambda", "Errors", "Sum", `[{"Name":"FunctionName","Value":{"Ref":"WorkerFunction"}}]`, 0},
		{AlarmFailOpen, "Lambdis", "FailOpen", "Sum", `[{"Name":"Check","Value":"ratelimit"},{"Name":"Function","Value":"ratelimit"}]`, 0},
		{AlarmAuthorizerLatency, "AWS/Lambda", "Duration", "p99", `[{"Name":"FunctionName","Value":{"Ref":"RatelimitFunction"}}]`, 250},
	}
	for _, c := range simple {
		a := alarmByPrefix(t, s, c.id)
		stat := a["Statistic"]
		if stat == nil {
			stat = a["ExtendedStatistic"]
		}
		if a["Namespace"] != c.namespace || a["MetricName"] != c.metric || stat != c.stat || js(a["Dimensions"]) != c.dims ||
			a["Threshold"] != c.threshold || a["ComparisonOperator"] != "GreaterThanThreshold" {
			t.Errorf("%s = %s\nwant %s %s %s %s above %v", c.id, js(a), c.namespace, c.metric, c.stat, c.dims, c.threshold)
		}
		if a["TreatMissingData"] != "notBreaching" {
			t.Errorf("%s: TreatMissingData %v, want notBreaching", c.id, a["TreatMissingData"])
		}
	}
	check(t, "dead letters above 0", func() {
		s.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
			"MetricName": "Dead", "Namespace": "Lambdis", "Threshold": 0, "ComparisonOperator": "GreaterThanThreshold",
		})
	})

	// Authorizer failures: Lambda errors minus the 401 decisions.
	a := alarmByPrefix(t, s, AlarmAuthorizerErrors)
	m := js(a["Metrics"])
	for _, want := range []string{`"Expression":"FILL(errors, 0) - FILL(unauthorized, 0)"`, `"MetricName":"Errors","Namespace":"AWS/Lambda"`,
		`{"Ref":"RatelimitFunction"}`, `"MetricName":"Decisions","Namespace":"Lambdis"`, `{"Name":"Reason","Value":"unauthorized"}`} {
		if !strings.Contains(m, want) {
			t.Errorf("%s metrics %s lack %s", AlarmAuthorizerErrors, m, want)
		}
	}
	if a["Threshold"] != float64(0) {
		t.Errorf("%s threshold %v, want 0", AlarmAuthorizerErrors, a["Threshold"])
	}

	// The cache: every node, highest value.
	nodes := s.stack.cacheNodeIDs
	if want := []string{"lambdis-0001-001", "lambdis-0001-002", "lambdis-0002-001", "lambdis-0002-002"}; !slices.Equal(nodes, want) {
		t.Fatalf("cache nodes %v, want %v", nodes, want)
	}
	for _, c := range []struct {
		id, metric, stat string
		threshold        float64
	}{
		{AlarmCacheEvictions, "Evictions", "Sum", 0},
		{AlarmCacheCPU, "EngineCPUUtilization", "Average", 80},
		{AlarmCacheMemory, "DatabaseMemoryUsagePercentage", "Maximum", 80},
		{AlarmCacheConnections, "CurrConnections", "Maximum", 5000},
	} {
		a := alarmByPrefix(t, s, c.id)
		if a["Threshold"] != c.threshold || a["ComparisonOperator"] != "GreaterThanThreshold" {
			t.Errorf("%s: above %v, want above %v", c.id, a["Threshold"], c.threshold)
		}
		covered := cacheAlarmNodes(t, a, c.metric, c.stat)
		if !slices.Equal(covered, nodes) {
			t.Errorf("%s watches %v, want every node %v", c.id, covered, nodes)
		}
	}
}

// cacheAlarmNodes returns the nodes a MAX([...]) cache alarm reads.
func cacheAlarmNodes(t *testing.T, alarm map[string]any, metric, stat string) []string {
	t.Helper()
	var nodes []string
	var ids []string
	expr := ""
	for _, q := range alarm["Metrics"].([]any) {
		q := q.(map[string]any)
		if e, ok := q["Expression"].(string); ok {
			expr = e
			continue
		}
		ms := q["MetricStat"].(map[string]any)
		mm := ms["Metric"].(map[string]any)
		if mm["Namespace"] != "AWS/ElastiCache" || mm["MetricName"] != metric || ms["Stat"] != stat {
			t.Errorf("alarm reads %s, want AWS/ElastiCache %s %s", js(ms), metric, stat)
		}
		d := mm["Dimensions"].([]any)[0].(map[string]any)
		nodes = append(nodes, d["Value"].(string))
		ids = append(ids, q["Id"].(string))
	}
	inner, ok := strings.CutPrefix(expr, "MAX([")
	inner, ok2 := strings.CutSuffix(inner, "])")
	used := strings.Split(inner, ",")
	slices.Sort(used)
	slices.Sort(ids)
	if !ok || !ok2 || !slices.Equal(used, ids) {
		t.Errorf("expression %q, want MAX over exactly %v", expr, ids)
	}
	if len(ids) > maxAlarmMetrics {
		t.Errorf("%d metrics in one alarm; CloudWatch takes at most %d", len(ids), maxAlarmMetrics)
	}
	slices.Sort(nodes)
	return nodes
}

// More nodes than one alarm may read: the cache alarms are split, and
// together they still watch every node.
func TestCacheAlarmsCoverManyNodes(t *testing.T) {
	s := synth(t, "big", func(p *Props) { p.Shards, p.ReplicasPerShard = 5, 2 })
	var want []string
	for shard := 1; shard <= 5; shard++ {
		for node := 1; node <= 3; node++ {
			want = append(want, fmt.Sprintf("lambdis-%04d-%03d", shard, node))
		}
	}
	var got []string
	n := 0
	for id, a := range s.resources("AWS::CloudWatch::Alarm") {
		if strings.HasPrefix(id, AlarmCacheMemory) {
			n++
			got = append(got, cacheAlarmNodes(t, props(a), "DatabaseMemoryUsagePercentage", "Maximum")...)
		}
	}
	slices.Sort(got)
	if n != 2 || !slices.Equal(got, want) {
		t.Errorf("%d memory alarms watching %v, want 2 watching all 15 nodes", n, got)
	}
}

// One dashboard shows every alarm.
func TestDashboardShowsEveryAlarm(t *testing.T) {
	s := defaults(t)
	_, d := s.only(t, "AWS::CloudWatch::Dashboard")
	body := js(props(d)["DashboardBody"])
	alarms := s.resources("AWS::CloudWatch::Alarm")
	if len(alarms) != 10 {
		t.Errorf("%d alarms, want 10", len(alarms))
	}
	for id := range alarms {
		if strings.Count(body, `"Fn::GetAtt":["`+id+`","Arn"]`) < 2 { // its graph and the status widget
			t.Errorf("dashboard does not show %s", id)
		}
	}
}

// Alarm actions by prop.
func TestAlarmTopicByProp(t *testing.T) {
	s := synth(t, "topic", func(p *Props) { p.AlarmTopicARN = "arn:aws:sns:eu-west-1:123456789012:ops" })
	for id, a := range s.resources("AWS::CloudWatch::Alarm") {
		p := props(a)
		if js(p["AlarmActions"]) != `["arn:aws:sns:eu-west-1:123456789012:ops"]` || js(p["OKActions"]) != `["arn:aws:sns:eu-west-1:123456789012:ops"]` {
			t.Errorf("%s actions %s / %s, want the topic", id, js(p["AlarmActions"]), js(p["OKActions"]))
		}
	}
}
