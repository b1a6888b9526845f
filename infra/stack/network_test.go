package stack

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
)

// Two AZs, private subnets only, no NAT and no internet gateway by default;
// Secrets Manager and CloudWatch Logs through interface endpoints that only
// the functions may reach.
func TestNetworkWithoutNAT(t *testing.T) {
	s := defaults(t)
	private := privateSubnetIDs(t, s)
	if n := len(s.resources("AWS::EC2::Subnet")); n != 2 {
		t.Errorf("%d subnets, want 2 (private, one per AZ)", n)
	}
	for _, typ := range []string{"AWS::EC2::NatGateway", "AWS::EC2::InternetGateway", "AWS::EC2::EIP"} {
		if n := len(s.resources(typ)); n != 0 {
			t.Errorf("%d %s, want none without NAT", n, typ)
		}
	}
	azs := map[string]bool{}
	for _, id := range private {
		azs[js(props(s.resource(t, id))["AvailabilityZone"])] = true
	}
	if len(azs) != 2 {
		t.Errorf("private subnets in %d AZs, want 2", len(azs))
	}

	fnSG := s.idOf(t, "AWS::EC2::SecurityGroup", "FunctionsSecurityGroup")
	epSG := s.idOf(t, "AWS::EC2::SecurityGroup", "EndpointsSecurityGroup")
	services := map[string]bool{}
	for id, ep := range s.resources("AWS::EC2::VPCEndpoint") {
		p := props(ep)
		name := js(p["ServiceName"])
		for _, svc := range []string{"secretsmanager", "logs"} {
			if strings.Contains(name, "."+svc+`"`) || strings.HasSuffix(strings.Trim(name, `"`), "."+svc) {
				services[svc] = true
			}
		}
		if p["VpcEndpointType"] != "Interface" || p["PrivateDnsEnabled"] != true {
			t.Errorf("%s: type %v, private DNS %v; want an Interface endpoint with private DNS", id, p["VpcEndpointType"], p["PrivateDnsEnabled"])
		}
		var subnets []string
		for _, v := range p["SubnetIds"].([]any) {
			subnets = append(subnets, ref(v))
		}
		slices.Sort(subnets)
		if !slices.Equal(subnets, private) {
			t.Errorf("%s: subnets %v, want %v", id, subnets, private)
		}
		if sgs := js(p["SecurityGroupIds"]); !strings.Contains(sgs, epSG) || strings.Count(sgs, "GroupId") != 1 {
			t.Errorf("%s: security groups %s, want only %s", id, sgs, epSG)
		}
	}
	if !services["secretsmanager"] || !services["logs"] {
		t.Errorf("interface endpoints for %v, want secretsmanager and logs", services)
	}
	// The endpoints admit HTTPS from the functions only.
	ingress := sgIngress(t, s, epSG)
	if len(ingress) != 1 || ref(ingress[0]["SourceSecurityGroupId"]) != fnSG || ingress[0]["FromPort"] != float64(443) || ingress[0]["ToPort"] != float64(443) {
		t.Errorf("endpoint ingress %s, want TCP 443 from %s only", js(ingress), fnSG)
	}
	// The functions may talk to the cache and the endpoints, nothing else.
	egress := sgEgress(t, s, fnSG)
	var peers []string
	for _, e := range egress {
		peers = append(peers, ref(e["DestinationSecurityGroupId"])+":"+js(e["FromPort"]))
		if _, open := e["CidrIp"]; open {
			t.Errorf("functions egress to %v without NAT", e["CidrIp"])
		}
	}
	slices.Sort(peers)
	cacheSG := s.idOf(t, "AWS::EC2::SecurityGroup", "CacheSecurityGroup")
	want := []string{cacheSG + ":6379", epSG + ":443"}
	slices.Sort(want)
	if !slices.Equal(peers, want) {
		t.Errorf("functions egress %v, want %v", peers, want)
	}
	if n := len(s.resources("AWS::EC2::FlowLog")); n != 1 {
		t.Errorf("%d flow logs, want 1", n)
	}
}

// NatGateways > 0: public subnets with NAT gateways, private subnets routed
// through them, and HTTPS egress for the functions (webhooks, JWKS).
func TestNetworkWithNAT(t *testing.T) {
	s := synth(t, "nat", func(p *Props) {
		p.NatGateways = 2
		p.WebhookAllowedURLs = []string{"https://hooks.example.com/"}
	})
	if n := len(s.resources("AWS::EC2::NatGateway")); n != 2 {
		t.Errorf("%d NAT gateways, want 2", n)
	}
	if n := len(s.resources("AWS::EC2::Subnet")); n != 4 {
		t.Errorf("%d subnets, want 4 (public and private in two AZs)", n)
	}
	privateSubnetIDs(t, s)
	fnSG := s.idOf(t, "AWS::EC2::SecurityGroup", "FunctionsSecurityGroup")
	found := false
	for _, e := range sgEgress(t, s, fnSG) {
		if e["CidrIp"] == "0.0.0.0/0" {
			found = true
			if e["FromPort"] != float64(443) || e["ToPort"] != float64(443) {
				t.Errorf("internet egress %s, want TCP 443 only", js(e))
			}
		}
	}
	if !found {
		t.Error("no HTTPS egress through NAT for the functions")
	}
}

// The cache admits its port from the functions' security group and from
// nothing else.
func TestCacheSecurityGroupRule(t *testing.T) {
	s := defaults(t)
	cacheSG := s.idOf(t, "AWS::EC2::SecurityGroup", "CacheSecurityGroup")
	fnSG := s.idOf(t, "AWS::EC2::SecurityGroup", "FunctionsSecurityGroup")
	ingress := sgIngress(t, s, cacheSG)
	if len(ingress) != 1 {
		t.Fatalf("cache ingress rules %s, want exactly one", js(ingress))
	}
	r := ingress[0]
	if ref(r["SourceSecurityGroupId"]) != fnSG || r["IpProtocol"] != "tcp" || r["FromPort"] != float64(6379) || r["ToPort"] != float64(6379) {
		t.Errorf("cache ingress %s, want TCP 6379 from %s", js(r), fnSG)
	}
	check(t, "SecurityGroupIngress", func() {
		s.template.HasResourceProperties(jsii.String("AWS::EC2::SecurityGroupIngress"), map[string]any{
			"GroupId":               map[string]any{"Fn::GetAtt": []any{cacheSG, "GroupId"}},
			"SourceSecurityGroupId": map[string]any{"Fn::GetAtt": []any{fnSG, "GroupId"}},
			"IpProtocol":            "tcp", "FromPort": 6379, "ToPort": 6379,
		})
	})
	if eg := sgEgress(t, s, cacheSG); len(eg) != 0 {
		t.Errorf("cache egress %s, want none", js(eg))
	}
}

// sgIngress returns every ingress rule of a security group: inline ones and
// AWS::EC2::SecurityGroupIngress resources.
func sgIngress(t *testing.T, s *synthesized, sg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, r := range s.resources("AWS::EC2::SecurityGroupIngress") {
		p := props(r)
		if ref(p["GroupId"]) == sg {
			out = append(out, p)
		}
	}
	for _, v := range asSlice(props(s.resource(t, sg))["SecurityGroupIngress"]) {
		out = append(out, v.(map[string]any))
	}
	return out
}

// sgEgress returns every egress rule of a security group but CDK's
// "deny all" placeholder (255.255.255.255/32, ICMP 252-86).
func sgEgress(t *testing.T, s *synthesized, sg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, r := range s.resources("AWS::EC2::SecurityGroupEgress") {
		p := props(r)
		if ref(p["GroupId"]) == sg {
			out = append(out, p)
		}
	}
	for _, v := range asSlice(props(s.resource(t, sg))["SecurityGroupEgress"]) {
		e := v.(map[string]any)
		if e["CidrIp"] == "255.255.255.255/32" {
			continue
		}
		out = append(out, e)
	}
	return out
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

// The replication group: Valkey 8 by default, cluster mode with the shards
// and replicas of the props, Multi-AZ with automatic failover, TLS required,
// encrypted at rest, AUTH from the generated secret, noeviction.
func TestCacheReplicationGroup(t *testing.T) {
	s := defaults(t)
	_, rg := s.only(t, "AWS::ElastiCache::ReplicationGroup")
	if rg["DeletionPolicy"] != "Snapshot" || rg["UpdateReplacePolicy"] != "Snapshot" {
		t.Errorf("DeletionPolicy %v, UpdateReplacePolicy %v; want Snapshot (the cache holds state)", rg["DeletionPolicy"], rg["UpdateReplacePolicy"])
	}
	p := props(rg)
	want := map[string]any{
		"Engine": "valkey", "EngineVersion": "8.0", "ClusterMode": "enabled",
		"NumNodeGroups": float64(2), "ReplicasPerNodeGroup": float64(1),
		"MultiAZEnabled": true, "AutomaticFailoverEnabled": true,
		"AtRestEncryptionEnabled": true, "TransitEncryptionEnabled": true, "TransitEncryptionMode": "required",
		"Port": float64(6379), "ReplicationGroupId": "lambdis",
	}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("%s = %v, want %v", k, p[k], v)
		}
	}
	secret := s.idOf(t, "AWS::SecretsManager::Secret", "CacheAuthSecret")
	if tok := js(p["AuthToken"]); !strings.Contains(tok, "{{resolve:secretsmanager:") || !strings.Contains(tok, `{"Ref":"`+secret+`"}`) {
		t.Errorf("AuthToken = %s, want a dynamic reference to %s", tok, secret)
	}
	cacheSG := s.idOf(t, "AWS::EC2::SecurityGroup", "CacheSecurityGroup")
	if js(p["SecurityGroupIds"]) != js([]any{map[string]any{"Fn::GetAtt": []any{cacheSG, "GroupId"}}}) {
		t.Errorf("SecurityGroupIds = %s, want only %s", js(p["SecurityGroupIds"]), cacheSG)
	}
	pg := s.resource(t, ref(p["CacheParameterGroupName"]))
	pp := props(pg)
	if pg["Type"] != "AWS::ElastiCache::ParameterGroup" || pp["CacheParameterGroupFamily"] != "valkey8" {
		t.Errorf("parameter group %s, want family valkey8", js(pg))
	}
	params, _ := pp["Properties"].(map[string]any)
	if params["maxmemory-policy"] != "noeviction" || params["cluster-enabled"] != "yes" {
		t.Errorf("parameters %s, want maxmemory-policy noeviction and cluster-enabled yes", js(params))
	}
	check(t, "noeviction", func() {
		s.template.HasResourceProperties(jsii.String("AWS::ElastiCache::ParameterGroup"), map[string]any{
			"Properties": map[string]any{"maxmemory-policy": "noeviction"},
		})
	})
	sg := props(s.resource(t, ref(p["CacheSubnetGroupName"])))
	var subnets []string
	for _, v := range sg["SubnetIds"].([]any) {
		subnets = append(subnets, ref(v))
	}
	slices.Sort(subnets)
	if !slices.Equal(subnets, privateSubnetIDs(t, s)) {
		t.Errorf("cache subnets %v, want the private subnets", subnets)
	}
}

// Redis OSS 7 by prop, and other shard/replica counts.
func TestCacheEngineAndShapeByProp(t *testing.T) {
	s := synth(t, "redis", func(p *Props) {
		p.Engine = EngineRedis
		p.Shards, p.ReplicasPerShard = 3, 2
	})
	_, rg := s.only(t, "AWS::ElastiCache::ReplicationGroup")
	p := props(rg)
	if p["Engine"] != "redis" || p["EngineVersion"] != "7.1" || p["NumNodeGroups"] != float64(3) || p["ReplicasPerNodeGroup"] != float64(2) {
		t.Errorf("replication group %s, want redis 7.1 with 3 shards of 2 replicas", js(p))
	}
	if f := props(s.resource(t, ref(p["CacheParameterGroupName"])))["CacheParameterGroupFamily"]; f != "redis7" {
		t.Errorf("parameter group family %v, want redis7", f)
	}
}

// The AUTH token is generated by Secrets Manager from an alphabet and
// length ElastiCache accepts (16-128 printable characters; of the
// non-alphanumerics only !&#$^<>-, which the generator never uses here).
func TestCacheAuthTokenSecret(t *testing.T) {
	s := defaults(t)
	secret := s.idOf(t, "AWS::SecretsManager::Secret", "CacheAuthSecret")
	g, _ := props(s.resource(t, secret))["GenerateSecretString"].(map[string]any)
	if g["ExcludePunctuation"] != true || g["IncludeSpace"] == true {
		t.Errorf("GenerateSecretString %s, want punctuation and spaces excluded", js(g))
	}
	n, _ := g["PasswordLength"].(float64)
	if n < 16 || n > 128 {
		t.Errorf("PasswordLength %v, want 16 to 128", n)
	}
	if _, ok := g["SecretStringTemplate"]; ok {
		t.Errorf("SecretStringTemplate set: the token must be the whole secret string")
	}
	// With punctuation excluded Secrets Manager draws from letters and
	// digits; ExcludeCharacters, if any, may only narrow that.
	if ex, ok := g["ExcludeCharacters"].(string); ok && !regexp.MustCompile(`^[\x21-\x7e]*$`).MatchString(ex) {
		t.Errorf("ExcludeCharacters %q", ex)
	}
}

// Props are validated with every problem named.
func TestPropsValidate(t *testing.T) {
	p := DefaultProps()
	p.RepoRoot = "/repo"
	if err := p.Validate(); err != nil {
		t.Fatalf("DefaultProps: %v", err)
	}
	cases := []struct {
		name   string
		mutate func(*Props)
		want   string
	}{
		{"no replicas", func(p *Props) { p.ReplicasPerShard = 0 }, "ReplicasPerShard"},
		{"engine", func(p *Props) { p.Engine = "memcached" }, "Engine"},
		{"old redis", func(p *Props) { p.Engine, p.EngineVersion = EngineRedis, "6.2" }, "EngineVersion"},
		{"group id", func(p *Props) { p.ReplicationGroupID = "Lambdis" }, "ReplicationGroupID"},
		{"webhooks without NAT", func(p *Props) { p.WebhookAllowedURLs = []string{"https://x/"} }, "NatGateways"},
		{"jwks without NAT", func(p *Props) { p.JWTJWKSURL = "https://idp/.well-known/jwks.json" }, "NatGateways"},
		{"two jwt sources", func(p *Props) {
			p.JWTJWKSURL, p.JWTSecretARN, p.NatGateways = "https://idp/jwks", "arn:aws:secretsmanager:x", 1
		}, "at most one"},
		{"queue name", func(p *Props) { p.WorkerQueues = []string{"a{b}"} }, "WorkerQueues"},
		{"event age", func(p *Props) { p.ScheduleMaxEventAge = 0 }, "ScheduleMaxEventAge"},
		{"memory of unknown fn", func(p *Props) { p.Memory = map[string]int{"nope": 256} }, "no such function"},
		{"log level", func(p *Props) { p.LogLevel = "verbose" }, "LogLevel"},
	}
	for _, c := range cases {
		p := DefaultProps()
		p.RepoRoot = "/repo"
		c.mutate(&p)
		if err := p.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Validate() = %v, want an error naming %s", c.name, err, c.want)
		}
	}
}
