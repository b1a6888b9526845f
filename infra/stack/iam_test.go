package stack

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// statement is one IAM policy statement, normalized.
type statement struct {
	Actions   []string
	Resources []string // "*", logical id of a Ref, or "id.Attr" of a GetAtt
}

func normalize(st map[string]any) statement {
	var out statement
	switch a := st["Action"].(type) {
	case string:
		out.Actions = []string{a}
	case []any:
		for _, x := range a {
			out.Actions = append(out.Actions, x.(string))
		}
	}
	res := st["Resource"]
	if _, ok := res.([]any); !ok {
		res = []any{res}
	}
	for _, r := range res.([]any) {
		switch {
		case r == "*":
			out.Resources = append(out.Resources, "*")
		case getAtt(r) != "":
			out.Resources = append(out.Resources, getAtt(r))
		case ref(r) != "":
			out.Resources = append(out.Resources, ref(r))
		default:
			out.Resources = append(out.Resources, js(r))
		}
	}
	slices.Sort(out.Actions)
	slices.Sort(out.Resources)
	return out
}

// roleStatements returns every statement granted to a role: its inline
// policies and any AWS::IAM::Policy or ManagedPolicy attached to it.
func roleStatements(t *testing.T, s *synthesized, role string) []statement {
	t.Helper()
	var out []statement
	add := func(doc any) {
		for _, st := range doc.(map[string]any)["Statement"].([]any) {
			st := st.(map[string]any)
			if st["Effect"] != "Allow" {
				continue
			}
			out = append(out, normalize(st))
		}
	}
	for _, pol := range asSlice(props(s.resource(t, role))["Policies"]) {
		add(pol.(map[string]any)["PolicyDocument"])
	}
	for _, typ := range []string{"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"} {
		for _, pol := range s.resources(typ) {
			p := props(pol)
			for _, r := range asSlice(p["Roles"]) {
				if ref(r) == role {
					add(p["PolicyDocument"])
				}
			}
		}
	}
	return out
}

// Each function's role: written for it alone, no managed policy; it may
// write its own log group, attach to the VPC, and read exactly the secrets
// its environment names — nothing else.
func TestFunctionRolesLeastPrivilege(t *testing.T) {
	for _, v := range []struct {
		name   string
		mutate func(*Props)
	}{
		{"default", nil},
		{"nat", func(p *Props) {
			p.NatGateways = 2
			p.WebhookAllowedURLs = []string{"https://hooks.example.com/"}
		}},
	} {
		t.Run(v.name, func(t *testing.T) {
			s := synth(t, v.name, v.mutate)
			auth := s.idOf(t, "AWS::SecretsManager::Secret", "CacheAuthSecret")
			jwt := s.idOf(t, "AWS::SecretsManager::Secret", "JwtSecret")
			webhook := ""
			if v.name == "nat" {
				webhook = s.idOf(t, "AWS::SecretsManager::Secret", "WebhookSecret")
			}
			for _, spec := range Functions {
				fn := props(s.resource(t, spec.LogicalID()))
				role := ref(fn["Role"])
				r := props(s.resource(t, role))
				if _, ok := r["ManagedPolicyArns"]; ok {
					t.Errorf("%s: managed policies %s, want none", spec.Name, js(r["ManagedPolicyArns"]))
				}
				if trust := js(r["AssumeRolePolicyDocument"]); !strings.Contains(trust, `"Service":"lambda.amazonaws.com"`) || strings.Count(trust, `"Principal"`) != 1 {
					t.Errorf("%s: trust policy %s, want lambda.amazonaws.com only", spec.Name, trust)
				}
				logGroup := ref(fn["LoggingConfig"].(map[string]any)["LogGroup"])
				secrets := []string{auth}
				if spec.JWT {
					secrets = append(secrets, jwt)
				}
				if spec.Jobs && webhook != "" {
					secrets = append(secrets, webhook)
				}
				slices.Sort(secrets)
				want := []statement{
					{Actions: []string{"logs:CreateLogStream", "logs:PutLogEvents"}, Resources: []string{logGroup + ".Arn"}},
					{Actions: slices.Sorted(slices.Values(ENIActions)), Resources: []string{"*"}},
					{Actions: []string{"secretsmanager:GetSecretValue"}, Resources: secrets},
				}
				if spec.Name == "enqueue" { // it wakes the worker (jobqueue_test.go)
					want = append(want, statement{Actions: []string{"lambda:InvokeFunction"}, Resources: []string{"WorkerFunction.Arn"}})
				}
				got := roleStatements(t, s, role)
				gj, _ := json.Marshal(got)
				wj, _ := json.Marshal(want)
				if string(gj) != string(wj) {
					t.Errorf("%s: role %s grants\n %s\nwant exactly\n %s", spec.Name, role, gj, wj)
				}
				// The secrets it may read are the ones its environment names.
				env := js(fn["Environment"])
				for _, sec := range secrets {
					if !strings.Contains(env, `{"Ref":"`+sec+`"}`) {
						t.Errorf("%s may read %s but its environment does not name it", spec.Name, sec)
					}
				}
			}
		})
	}
}
