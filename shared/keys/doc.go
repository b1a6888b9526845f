// Package keys builds the Redis keys every Lambdis pattern uses.
//
// A key has the form
//
//	<prefix>:<module>:{<tag>}:<rest>
//
// The braces are a Redis Cluster hash tag: every key built with the same tag
// hashes to the same slot, so one Lua script may touch all of them (ElastiCache
// cluster mode and Serverless reject scripts whose keys span slots). The prefix
// defaults to "lambdis" and is set with LAMBDIS_KEY_PREFIX.
//
// Tags come from clients (a user id, an IP address, a queue name), so they are
// validated: no braces (they would change the hash tag), no control characters
// or spaces, and at most MaxTagLen bytes. The rest parts are chosen by the
// pattern packages and validated the same way except that ':' is allowed.
package keys
