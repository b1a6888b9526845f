package authz

// LocalDevSecret is the HS256 secret of local development: `lambdis serve`
// and `lambdis token` use it when JWT_SECRET is unset, and the sample events
// in events/ are signed with it. Deployed functions never fall back to it:
// without JWT_SECRET, JWT_SECRET_ARN or JWT_JWKS_URL they fail at init.
const LocalDevSecret = "lambdis-local-development-secret-not-for-production"
