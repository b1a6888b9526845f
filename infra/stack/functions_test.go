package stack

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// Every directory under functions/ is a deployed function, and nothing else.
func TestEveryFunctionDirectoryIsDeployed(t *testing.T) {
	root := repoRoot(t)
	dirs, err := FunctionDirs(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckFunctionDirs(root); err != nil {
		t.Fatalf("CheckFunctionDirs(%s) = %v", root, err)
	}
	s := defaults(t)
	deployed := s.resources("AWS::Lambda::Function")
	for _, d := range dirs {
		spec, ok := specByName(d)
		if !ok {
			t.Errorf("functions/%s has no row in stack.Functions", d)
			continue
		}
		if _, ok := deployed[spec.LogicalID()]; !ok {
			t.Errorf("functions/%s: no AWS::Lambda::Function %s in the template", d, spec.LogicalID())
		}
	}
	if len(deployed) != len(dirs) {
		t.Errorf("%d Lambda functions in the template, %d directories under functions/ (%v)", len(deployed), len(dirs), dirs)
	}
}

// CheckFunctionDirs (run by New, so by `make synth` too) refuses a function
// directory without a row, and a row without a directory.
func TestCheckFunctionDirsRefusesUndeployedFunction(t *testing.T) {
	root := t.TempDir()
	for _, s := range Functions {
		if err := os.MkdirAll(filepath.Join(root, "functions", s.Name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := CheckFunctionDirs(root); err != nil {
		t.Fatalf("all rows present: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(root, "functions", "newfn"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := CheckFunctionDirs(root); err == nil || !strings.Contains(err.Error(), "functions/newfn not deployed") {
		t.Errorf("with functions/newfn: CheckFunctionDirs = %v, want a 'not deployed' error", err)
	}
	if err := os.RemoveAll(filepath.Join(root, "functions", "newfn")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(root, "functions", "worker")); err != nil {
		t.Fatal(err)
	}
	if err := CheckFunctionDirs(root); err == nil || !strings.Contains(err.Error(), "worker") {
		t.Errorf("without functions/worker: CheckFunctionDirs = %v, want an error naming it", err)
	}
}

// Each function: provided.al2023 on arm64, handler bootstrap, its memory and
// timeout, JSON logs into its own log group with a retention, in the private
// subnets behind the functions' security group, and the environment that
// points it at the cache and its secrets.
func TestFunctionProperties(t *testing.T) {
	s := defaults(t)
	fnSG := s.idOf(t, "AWS::EC2::SecurityGroup", "FunctionsSecurityGroup")
	private := privateSubnetIDs(t, s)
	authSecret := s.idOf(t, "AWS::SecretsManager::Secret", "CacheAuthSecret")
	jwtSecret := s.idOf(t, "AWS::SecretsManager::Secret", "JwtSecret")
	for _, spec := range Functions {
		t.Run(spec.Name, func(t *testing.T) {
			check(t, "HasResourceProperties", func() {
				s.template.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
					"Runtime":       "provided.al2023",
					"Architectures": []any{"arm64"},
					"Handler":       "bootstrap",
					"MemorySize":    spec.Memory,
					"Timeout":       spec.Timeout.Seconds(),
					"LoggingConfig": map[string]any{"LogFormat": "JSON", "ApplicationLogLevel": "INFO", "SystemLogLevel": "WARN"},
					"Description":   "Lambdis " + spec.Name,
					"VpcConfig": map[string]any{
						"SecurityGroupIds": []any{map[string]any{"Fn::GetAtt": []any{fnSG, "GroupId"}}},
					},
					"Environment": map[string]any{"Variables": assertions.Match_ObjectLike(&map[string]any{
						"REDIS_CLUSTER":             "true",
						"REDIS_AUTH_SECRET_ARN":     map[string]any{"Ref": authSecret},
						"LAMBDIS_KEY_PREFIX":        "lambdis",
						"LAMBDIS_METRICS_NAMESPACE": "Lambdis",
						"LOG_LEVEL":                 "info",
					})},
				})
			})
			fn := s.resource(t, spec.LogicalID())
			p := props(fn)
			if got := p["Runtime"]; got != "provided.al2023" {
				t.Errorf("Runtime = %v, want provided.al2023", got)
			}
			if got := js(p["Architectures"]); got != `["arm64"]` {
				t.Errorf("Architectures = %s, want [arm64]", got)
			}
			if got := p["Handler"]; got != "bootstrap" {
				t.Errorf("Handler = %v, want bootstrap", got)
			}
			if got := p["MemorySize"]; got != float64(spec.Memory) {
				t.Errorf("MemorySize = %v, want %d", got, spec.Memory)
			}
			if got := p["Timeout"]; got != spec.Timeout.Seconds() {
				t.Errorf("Timeout = %v, want %v", got, spec.Timeout.Seconds())
			}
			// Subnets: exactly the private ones.
			var subnets []string
			for _, v := range p["VpcConfig"].(map[string]any)["SubnetIds"].([]any) {
				subnets = append(subnets, ref(v))
			}
			slices.Sort(subnets)
			if !slices.Equal(subnets, private) {
				t.Errorf("subnets %v, want the private subnets %v", subnets, private)
			}
			// Logs: its own group, with a retention.
			lc := p["LoggingConfig"].(map[string]any)
			group := ref(lc["LogGroup"])
			if !strings.HasPrefix(group, spec.LogicalID()+"Logs") {
				t.Errorf("LoggingConfig.LogGroup = %v, want the function's own log group", lc["LogGroup"])
			} else if days := props(s.resource(t, group))["RetentionInDays"]; days != float64(30) {
				t.Errorf("log group %s RetentionInDays = %v, want 30", group, days)
			}
			// Environment.
			env := p["Environment"].(map[string]any)["Variables"].(map[string]any)
			if got := js(env["REDIS_URL"]); !strings.Contains(got, `"rediss://"`) || !strings.Contains(got, `"Cache","ConfigurationEndPoint.Address"`) || !strings.Contains(got, `"Cache","ConfigurationEndPoint.Port"`) {
				t.Errorf("REDIS_URL = %s, want rediss://<configuration endpoint>:<port>", got)
			}
			want := map[string]any{}
			switch spec.Name {
			case "ratelimit":
				want = map[string]any{
					"JWT_SECRET_ARN": map[string]any{"Ref": jwtSecret}, "JWT_SECRET": "",
					"AUTHZ_MAX_TOKEN_TTL": "24h", "RATE_LIMITS": "per_second=10/1s:20,per_minute=300/1m",
					"AUTHZ_RATELIMIT_FAIL_OPEN": "true", "AUTHZ_REVOCATION_FAIL_OPEN": "false",
				}
			case "revoke":
				want = map[string]any{"JWT_SECRET_ARN": map[string]any{"Ref": jwtSecret}, "JWT_SECRET": "", "AUTHZ_MAX_TOKEN_TTL": "24h"}
			case "admin":
				want = map[string]any{"RATE_LIMITS": "per_second=10/1s:20,per_minute=300/1m", "AUTHZ_MAX_TOKEN_TTL": "24h", "JOB_RETENTION": "24h"}
				for _, k := range []string{"JWT_SECRET_ARN", "WEBHOOK_SECRET_ARN", "WEBHOOK_ALLOWED_URLS"} {
					if _, ok := env[k]; ok {
						t.Errorf("%s is set: the admin function reads no secret but the cache's", k)
					}
				}
			case "enqueue":
				want = map[string]any{"JOB_RETENTION": "24h", "ENQUEUE_WAKE_FUNCTION": map[string]any{"Ref": "WorkerFunction"}}
			case "worker":
				// No WorkerQueues: every registered queue, WORKER_QUEUES declared empty.
				want = map[string]any{"JOB_RETENTION": "24h", "WORKER_QUEUES": "", "WORKER_FUNCTION_TIMEOUT": "2m0s", "WORKER_LINGER": "5s"}
			}
			for k, v := range want {
				if js(env[k]) != js(v) {
					t.Errorf("%s = %s, want %s", k, js(env[k]), js(v))
				}
			}
			for _, k := range []string{"JWT_JWKS_URL", "WEBHOOK_SECRET_ARN"} {
				if _, ok := env[k]; ok {
					t.Errorf("%s is set; the defaults have no such source", k)
				}
			}
			// Declared for sam local invoke --env-vars only: empty (unset).
			for _, k := range slices.Concat(LocalOnlyVariables["*"], LocalOnlyVariables[spec.Name]) {
				if v, ok := env[k]; !ok || v != "" {
					t.Errorf("%s = %v (declared %v), want declared and empty", k, v, ok)
				}
			}
			// Asset metadata: what sam finds the code by.
			md, _ := fn["Metadata"].(map[string]any)
			asset, _ := md["aws:asset:path"].(string)
			if md["aws:asset:property"] != "Code" || !strings.HasPrefix(asset, "asset.") {
				t.Errorf("Metadata = %s, want aws:asset:path asset.<hash> and aws:asset:property Code", js(md))
			} else if _, err := os.Stat(filepath.Join(s.outdir, asset, "bootstrap")); err != nil {
				t.Errorf("asset %s has no bootstrap: %v", asset, err)
			}
		})
	}
}

// privateSubnetIDs are the logical ids of the VPC's private subnets, sorted.
func privateSubnetIDs(t *testing.T, s *synthesized) []string {
	t.Helper()
	var ids []string
	for id := range s.resources("AWS::EC2::Subnet") {
		if strings.HasPrefix(id, "Vpcprivate") {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	if len(ids) != 2 {
		t.Fatalf("private subnets %v, want one per AZ (2)", ids)
	}
	return ids
}

// LOG_LEVEL filters the functions' own lines; Lambda's application log
// filter stays at INFO (DEBUG for debug): it would otherwise drop the EMF
// metric documents, JSON lines without a "level" that Lambda counts as INFO,
// and blind the alarms.
func TestLogLevelNeverDropsMetrics(t *testing.T) {
	for _, c := range []struct{ level, lambda string }{{"error", "INFO"}, {"debug", "DEBUG"}} {
		s := synth(t, "log-"+c.level, func(p *Props) { p.LogLevel = c.level })
		for _, spec := range Functions {
			p := props(s.resource(t, spec.LogicalID()))
			if got := p["LoggingConfig"].(map[string]any)["ApplicationLogLevel"]; got != c.lambda {
				t.Errorf("LogLevel %s: %s ApplicationLogLevel = %v, want %s", c.level, spec.Name, got, c.lambda)
			}
			if got := p["Environment"].(map[string]any)["Variables"].(map[string]any)["LOG_LEVEL"]; got != c.level {
				t.Errorf("LogLevel %s: %s LOG_LEVEL = %v", c.level, spec.Name, got)
			}
		}
	}
}
