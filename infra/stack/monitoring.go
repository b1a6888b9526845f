package stack

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/jsii-runtime-go"
)

// maxAlarmMetrics is how many metrics CloudWatch accepts in one alarm's
// metric math; the per-node cache alarms are split into groups this size.
const maxAlarmMetrics = 10

// Alarm ids (construct ids, and CloudFormation logical id prefixes). The
// cache alarms get a suffix 2, 3, ... when there are more than
// maxAlarmMetrics nodes.
const (
	AlarmDeadLetters       = "DeadLettersAlarm"
	AlarmLostJobs          = "LostJobsAlarm"
	AlarmWorkerErrors      = "WorkerErrorsAlarm"
	AlarmAuthorizerErrors  = "AuthorizerErrorsAlarm"
	AlarmAuthorizerLatency = "AuthorizerLatencyAlarm"
	AlarmFailOpen          = "FailOpenAlarm"
	AlarmCacheEvictions    = "CacheEvictionsAlarm"
	AlarmCacheCPU          = "CacheEngineCpuAlarm"
	AlarmCacheMemory       = "CacheMemoryAlarm"
	AlarmCacheConnections  = "CacheConnectionsAlarm"
)

// monitoring builds the alarms and one dashboard showing each of them.
//
// The function metrics come from the functions' EMF documents (namespace
// MetricsNamespace, dimension Function=<fn>); the cache metrics are per node
// (CacheClusterId <group>-<shard>-<node>), combined with MAX() metric math.
func (s *Stack) monitoring() {
	p := s.props
	ns := p.MetricsNamespace
	worker, authz := s.Functions["worker"], s.Functions["ratelimit"]
	emf := func(name, stat string, dims map[string]string) awscloudwatch.Metric {
		d := map[string]*string{}
		for k, v := range dims {
			d[k] = jsii.String(v)
		}
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(ns), MetricName: jsii.String(name), DimensionsMap: &d,
			Statistic: jsii.String(stat), Period: awscdk.Duration_Minutes(jsii.Number(1)),
		})
	}
	var alarms []awscloudwatch.Alarm
	alarm := func(id, description string, metric awscloudwatch.IMetric, threshold float64, periods, datapoints int) {
		a := awscloudwatch.NewAlarm(s.Stack, jsii.String(id), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(description),
			Metric:             metric,
			Threshold:          jsii.Number(threshold),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			EvaluationPeriods:  jsii.Number(float64(periods)),
			DatapointsToAlarm:  jsii.Number(float64(datapoints)),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		alarms = append(alarms, a)
	}

	alarm(AlarmDeadLetters, "A job was dead-lettered (attempts or deliveries exhausted): inspect the queue's dead-letter stream",
		emf("Dead", "Sum", map[string]string{"Function": "worker"}), 0, 1, 1)
	alarm(AlarmLostJobs, "A queued job was lost (its record vanished: eviction or manual deletion)",
		emf("Lost", "Sum", map[string]string{"Function": "worker"}), 0, 1, 1)
	alarm(AlarmWorkerErrors, "The worker failed (error, timeout or crash)",
		worker.MetricErrors(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: awscdk.Duration_Minutes(jsii.Number(5))}), 0, 1, 1)
	// The authorizer answers "Unauthorized" by returning an error, which
	// Lambda counts in Errors; the failures are the errors that are not
	// 401 decisions (store unavailable and fail-closed, timeouts, crashes).
	alarm(AlarmAuthorizerErrors, "The authorizer failed (Lambda errors that are not 401 decisions): clients get 503",
		awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Label:      jsii.String("authorizer failures"),
			Expression: jsii.String("FILL(errors, 0) - FILL(unauthorized, 0)"),
			Period:     awscdk.Duration_Minutes(jsii.Number(5)),
			UsingMetrics: &map[string]awscloudwatch.IMetric{
				"errors": authz.MetricErrors(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: awscdk.Duration_Minutes(jsii.Number(5))}),
				"unauthorized": emf("Decisions", "Sum", map[string]string{"Function": "ratelimit", "Reason": "unauthorized"}).
					With(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5))}),
			},
		}), 0, 1, 1)
	alarm(AlarmAuthorizerLatency, fmt.Sprintf("The authorizer's p99 duration is above %v ms: every request waits for it", p.AuthorizerP99AlarmMs),
		authz.MetricDuration(&awscloudwatch.MetricOptions{Statistic: jsii.String("p99"), Period: awscdk.Duration_Minutes(jsii.Number(1))}),
		p.AuthorizerP99AlarmMs, 5, 3)
	alarm(AlarmFailOpen, "The rate limiter failed open (Redis unreachable): requests were allowed unlimited",
		emf("FailOpen", "Sum", map[string]string{"Function": "ratelimit", "Check": "ratelimit"}), 0, 1, 1)

	nodeMax := func(id, description, metric, stat string, threshold float64, periods, datapoints int) {
		for i, start := 0, 0; start < len(s.cacheNodeIDs); i, start = i+1, start+maxAlarmMetrics {
			nodes := s.cacheNodeIDs[start:min(start+maxAlarmMetrics, len(s.cacheNodeIDs))]
			using := map[string]awscloudwatch.IMetric{}
			var names []string
			for j, node := range nodes {
				name := fmt.Sprintf("n%d", j+1)
				names = append(names, name)
				using[name] = awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
					Namespace: jsii.String("AWS/ElastiCache"), MetricName: jsii.String(metric),
					DimensionsMap: &map[string]*string{"CacheClusterId": jsii.String(node)},
					Statistic:     jsii.String(stat), Period: awscdk.Duration_Minutes(jsii.Number(1)),
				})
			}
			aid := id
			if i > 0 {
				aid = fmt.Sprintf("%s%d", id, i+1)
			}
			alarm(aid, description, awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
				Label:        jsii.String(metric + " (highest node)"),
				Expression:   jsii.String("MAX([" + strings.Join(names, ",") + "])"),
				Period:       awscdk.Duration_Minutes(jsii.Number(1)),
				UsingMetrics: &using,
			}), threshold, periods, datapoints)
		}
	}
	nodeMax(AlarmCacheEvictions, "The cache evicted keys: with noeviction that means the parameter group is wrong; queued jobs, revocations and locks may be gone",
		"Evictions", "Sum", 0, 1, 1)
	nodeMax(AlarmCacheCPU, fmt.Sprintf("A cache node's engine CPU is above %v%%", p.CacheCPUAlarmPercent),
		"EngineCPUUtilization", "Average", p.CacheCPUAlarmPercent, 5, 3)
	nodeMax(AlarmCacheMemory, fmt.Sprintf("A cache node's memory is above %v%% of maxmemory: with noeviction, writes fail with OOM when it is full", p.CacheMemoryAlarmPercent),
		"DatabaseMemoryUsagePercentage", "Maximum", p.CacheMemoryAlarmPercent, 5, 3)
	nodeMax(AlarmCacheConnections, fmt.Sprintf("A cache node has more than %v client connections (pools times concurrency)", p.CacheConnectionsAlarm),
		"CurrConnections", "Maximum", p.CacheConnectionsAlarm, 5, 3)

	if p.AlarmTopicARN != "" {
		topic := awssns.Topic_FromTopicArn(s.Stack, jsii.String("AlarmTopic"), jsii.String(p.AlarmTopicARN))
		for _, a := range alarms {
			a.AddAlarmAction(awscloudwatchactions.NewSnsAction(topic))
			a.AddOkAction(awscloudwatchactions.NewSnsAction(topic))
		}
	}

	var iAlarms []interfacesawscloudwatch.IAlarmRef
	rows := [][]awscloudwatch.IWidget{}
	var row []awscloudwatch.IWidget
	for _, a := range alarms {
		iAlarms = append(iAlarms, a)
		row = append(row, awscloudwatch.NewAlarmWidget(&awscloudwatch.AlarmWidgetProps{
			Alarm: a, Title: a.Node().Id(), Width: jsii.Number(8), Height: jsii.Number(6),
		}))
		if len(row) == 3 {
			rows = append(rows, row)
			row = nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	rows = append([][]awscloudwatch.IWidget{{awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
		Title: jsii.String("Lambdis alarms"), Alarms: &iAlarms, Width: jsii.Number(24), Height: jsii.Number(4),
	})}}, rows...)
	widgets := make([]*[]awscloudwatch.IWidget, len(rows))
	for i := range rows {
		widgets[i] = &rows[i]
	}
	awscloudwatch.NewDashboard(s.Stack, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		Widgets: &widgets,
	})
}
