// Package apitest holds tests to api/openapi.yaml: it validates an
// exchange (a request and the response it got) against the document with
// kin-openapi's openapi3filter.
//
// Check takes the functions' own form, an API Gateway proxy request and
// response, so a handler test's request helper validates every response
// the test produces, its status included; the HTTP tests of
// cmd/lambdis/localapi validate theirs with Validate. A request the
// document calls invalid fails the check unless the test marks it as sent
// so on purpose (OffContract); its response is validated all the same.
package apitest
