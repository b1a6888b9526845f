package stack

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// message is a synthesis message (an annotation) of the stack.
type message struct {
	ID    string `json:"id"`
	Level string `json:"level"`
	Entry struct {
		Data any `json:"data"`
	} `json:"entry"`
}

func messages(t *testing.T, found any) []message {
	t.Helper()
	var out []message
	if err := json.Unmarshal([]byte(js(found)), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// nagVariants are the prop combinations the cdk-nag checks run on: the
// defaults and every prop that adds or removes resources.
var nagVariants = []struct {
	name   string
	mutate func(*Props)
}{
	{"default", nil},
	{"nat", func(p *Props) {
		p.NatGateways = 2
		p.WebhookAllowedURLs = []string{"https://hooks.example.com/"}
	}},
	{"cors", func(p *Props) { p.CORSAllowOrigins = []string{"https://app.example.com"} }},
	{"anonymous", func(p *Props) { p.AnonymousRateLimits = "per_minute=60/1m" }},
	{"redis", func(p *Props) {
		p.Engine = EngineRedis
		p.Shards, p.ReplicasPerShard = 3, 2
	}},
	{"topic", func(p *Props) { p.AlarmTopicARN = "arn:aws:sns:eu-west-1:123456789012:ops" }},
	{"minimal", func(p *Props) {
		p.FlowLogs = false
		p.APIGatewayCloudWatch = false
		p.JWTJWKSURL, p.NatGateways = "https://idp.example.com/.well-known/jwks.json", 1
	}},
}

// cdk-nag AwsSolutions: no unsuppressed finding (error or warning) in any
// variant; every suppression states a reason and is used (no stale ones).
func TestNagAwsSolutionsNoUnsuppressedFindings(t *testing.T) {
	for _, v := range nagVariants {
		t.Run(v.name, func(t *testing.T) {
			s := synth(t, v.name, v.mutate)
			ann := assertions.Annotations_FromStack(s.stack.Stack)
			for _, m := range messages(t, ann.FindError(jsii.String("*"), assertions.Match_AnyValue())) {
				t.Errorf("error at %s: %v", m.ID, m.Entry.Data)
			}
			for _, m := range messages(t, ann.FindWarning(jsii.String("*"), assertions.Match_AnyValue())) {
				if strings.Contains(fmt.Sprint(m.Entry.Data), "AwsSolutions-") {
					t.Errorf("unsuppressed warning at %s: %v", m.ID, m.Entry.Data)
				} else {
					t.Logf("warning at %s: %v", m.ID, m.Entry.Data)
				}
			}
			used := map[string]bool{} // "<path> <rule>"
			for _, m := range messages(t, ann.FindInfo(jsii.String("*"), assertions.Match_AnyValue())) {
				data := fmt.Sprint(m.Entry.Data)
				if !strings.HasPrefix(data, "CdkNagSuppression") {
					continue
				}
				_, rest, _ := strings.Cut(data, ": ")
				rule, _, _ := strings.Cut(rest, " ")
				used[m.ID+" "+rule] = true
			}
			n := 0
			for id, r := range s.tmpl["Resources"].(map[string]any) {
				md, _ := r.(map[string]any)["Metadata"].(map[string]any)
				nag, _ := md["cdk_nag"].(map[string]any)
				path, _ := md["aws:cdk:path"].(string)
				for _, x := range asSlice(nag["rules_to_suppress"]) {
					x := x.(map[string]any)
					n++
					rule, _ := x["id"].(string)
					if reason, _ := x["reason"].(string); len(reason) < 40 {
						t.Errorf("%s: suppression of %s has reason %q; say why", id, rule, reason)
					}
					if !used["/"+path+" "+rule] {
						t.Errorf("%s (%s): %s is suppressed but never triggered; remove the stale suppression", id, path, rule)
					}
				}
			}
			if n == 0 {
				t.Error("no suppressions found in the template metadata")
			}
		})
	}
}

// The suppression list itself: rule ids of the AwsSolutions pack and
// reasons that say why.
func TestSuppressionReasons(t *testing.T) {
	for _, x := range []Suppression{SuppressSecretRotationAuth, SuppressSecretRotationJWT, SuppressSecretRotationWebhook,
		SuppressENIWildcard, SuppressRequestValidation, SuppressAPIGatewayLogsRole, SuppressCognito, SuppressWAF,
		SuppressHealthAuth, SuppressHealthCognito, SuppressPublicAuth, SuppressPublicCognito, SuppressDefaultPort, SuppressNoFlowLogs} {
		if !strings.HasPrefix(x.ID, "AwsSolutions-") || len(x.Reason) < 40 {
			t.Errorf("suppression %s: reason %q", x.ID, x.Reason)
		}
	}
}
