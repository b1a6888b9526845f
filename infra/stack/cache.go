package stack

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticache"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/jsii-runtime-go"
)

// AuthTokenLength is the length of the generated AUTH token. ElastiCache
// accepts 16 to 128 printable characters, and of the non-alphanumerics only
// ! & # $ ^ < > -; the token is generated from letters and digits alone.
const AuthTokenLength = 64

// cache builds the ElastiCache replication group: cluster mode enabled
// (Shards node groups of 1+ReplicasPerShard nodes), Multi-AZ with automatic
// failover, TLS required in transit, encrypted at rest, an AUTH token from
// Secrets Manager, maxmemory-policy noeviction, and reachable only from the
// functions' security group.
//
// ElastiCache Serverless is deliberately not offered: its eviction policy is
// fixed at volatile-lru, which may silently drop keys with a TTL (revocations,
// queued job records, locks), it runs in cluster mode only, and it takes RBAC
// users instead of an AUTH token. See docs/deploying.md.
func (s *Stack) cache() {
	p := s.props
	subnetGroup := awselasticache.NewCfnSubnetGroup(s.Stack, jsii.String("CacheSubnetGroup"), &awselasticache.CfnSubnetGroupProps{
		Description: jsii.String("Lambdis cache: the private subnets"),
		SubnetIds:   toAny(*s.Vpc.SelectSubnets(s.privateSubnets).SubnetIds),
	})
	family, _ := p.parameterGroupFamily() // Validate checked it
	params := awselasticache.NewCfnParameterGroup(s.Stack, jsii.String("CacheParameterGroup"), &awselasticache.CfnParameterGroupProps{
		CacheParameterGroupFamily: jsii.String(family),
		Description:               jsii.String("Lambdis: cluster mode, and never evict (queued jobs, revocations and locks must not vanish)"),
		Properties: &map[string]*string{
			"cluster-enabled":  jsii.String("yes"),
			"maxmemory-policy": jsii.String("noeviction"),
		},
	})
	s.CacheAuthSecret = awssecretsmanager.NewSecret(s.Stack, jsii.String("CacheAuthSecret"), &awssecretsmanager.SecretProps{
		Description: jsii.String("Lambdis cache AUTH token (REDIS_AUTH_SECRET_ARN)"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength:     jsii.Number(AuthTokenLength),
			ExcludePunctuation: jsii.Bool(true),
			IncludeSpace:       jsii.Bool(false),
		},
	})
	slowLog := awslogs.NewLogGroup(s.Stack, jsii.String("CacheSlowLog"), &awslogs.LogGroupProps{
		Retention:     p.CacheLogRetention,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	s.Cache = awselasticache.NewCfnReplicationGroup(s.Stack, jsii.String("Cache"), &awselasticache.CfnReplicationGroupProps{
		ReplicationGroupId:          jsii.String(p.ReplicationGroupID),
		ReplicationGroupDescription: jsii.String("Lambdis: rate limits, revocations, job queues, leaderboards"),
		Engine:                      jsii.String(string(p.Engine)),
		EngineVersion:               jsii.String(p.engineVersion()),
		CacheNodeType:               jsii.String(p.CacheNodeType),
		ClusterMode:                 jsii.String("enabled"),
		NumNodeGroups:               jsii.Number(float64(p.Shards)),
		ReplicasPerNodeGroup:        jsii.Number(float64(p.ReplicasPerShard)),
		AutomaticFailoverEnabled:    jsii.Bool(true),
		MultiAzEnabled:              jsii.Bool(true),
		AtRestEncryptionEnabled:     jsii.Bool(true),
		TransitEncryptionEnabled:    jsii.Bool(true),
		TransitEncryptionMode:       jsii.String("required"),
		AuthToken:                   s.CacheAuthSecret.SecretValue().UnsafeUnwrap(),
		CacheParameterGroupName:     params.Ref(),
		CacheSubnetGroupName:        subnetGroup.Ref(),
		SecurityGroupIds:            &[]*string{s.CacheSG.SecurityGroupId()},
		Port:                        jsii.Number(float64(p.CachePort)),
		SnapshotRetentionLimit:      jsii.Number(float64(p.SnapshotRetentionDays)),
		AutoMinorVersionUpgrade:     jsii.Bool(true),
		LogDeliveryConfigurations: &[]any{
			&awselasticache.CfnReplicationGroup_LogDeliveryConfigurationRequestProperty{
				DestinationType: jsii.String("cloudwatch-logs"),
				DestinationDetails: &awselasticache.CfnReplicationGroup_DestinationDetailsProperty{
					CloudWatchLogsDetails: &awselasticache.CfnReplicationGroup_CloudWatchLogsDestinationDetailsProperty{
						LogGroup: slowLog.LogGroupName(),
					},
				},
				LogFormat: jsii.String("json"),
				LogType:   jsii.String("slow-log"),
			},
		},
	})
	// Deleting or replacing the group takes a final snapshot: queued jobs,
	// revocations and boards are state, not cache.
	s.Cache.ApplyRemovalPolicy(awscdk.RemovalPolicy_SNAPSHOT, nil)
	s.redisURL = awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("rediss://"),
		s.Cache.AttrConfigurationEndPointAddress(),
		jsii.String(":"),
		s.Cache.AttrConfigurationEndPointPort(),
	})
	for shard := 1; shard <= p.Shards; shard++ {
		for node := 1; node <= 1+p.ReplicasPerShard; node++ {
			s.cacheNodeIDs = append(s.cacheNodeIDs, CacheNodeID(p.ReplicationGroupID, shard, node))
		}
	}
}

// CacheNodeID is the CacheClusterId dimension CloudWatch reports a node of a
// cluster-mode replication group under: <group>-<shard:%04d>-<node:%03d>.
func CacheNodeID(group string, shard, node int) string {
	return fmt.Sprintf("%s-%04d-%03d", group, shard, node)
}

// secrets creates (or imports) the token signing secret and, with webhooks,
// the webhook signing secret. The cache's AUTH secret is made with the cache.
func (s *Stack) secrets() {
	p := s.props
	switch {
	case p.JWTSecretARN != "":
		s.JWTSecret = awssecretsmanager.Secret_FromSecretCompleteArn(s.Stack, jsii.String("JwtSecret"), jsii.String(p.JWTSecretARN))
	case p.JWTJWKSURL == "":
		s.JWTSecret = awssecretsmanager.NewSecret(s.Stack, jsii.String("JwtSecret"), &awssecretsmanager.SecretProps{
			Description: jsii.String("Lambdis HS256 token signing key (JWT_SECRET_ARN); issuers sign with it"),
			GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
				PasswordLength:     jsii.Number(64),
				ExcludePunctuation: jsii.Bool(true),
				IncludeSpace:       jsii.Bool(false),
			},
		})
	}
	if len(p.WebhookAllowedURLs) > 0 {
		s.WebhookSecret = awssecretsmanager.NewSecret(s.Stack, jsii.String("WebhookSecret"), &awssecretsmanager.SecretProps{
			Description: jsii.String("Lambdis webhook signing key (WEBHOOK_SECRET_ARN)"),
			GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
				PasswordLength:     jsii.Number(64),
				ExcludePunctuation: jsii.Bool(true),
				IncludeSpace:       jsii.Bool(false),
			},
		})
	}
}

// toAny converts strings for the L1 properties typed []interface{}.
func toAny(ss []*string) *[]any {
	out := make([]any, len(ss))
	for i, v := range ss {
		out[i] = v
	}
	return &out
}
