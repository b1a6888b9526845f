// Package api holds the OpenAPI 3.1 document of the Lambdis HTTP API
// (openapi.yaml, embedded) and gives it as JSON, which `lambdis serve`
// serves at GET /openapi.json.
//
// The document describes every route of every function, with the
// validation rules the handlers enforce, every response and the problem
// types of docs/problems.md. The tests of cmd/lambdis/localapi hold it to
// the code: the route table and the document name the same routes, every
// request and response of the local API's tests validates against it, and
// requests it calls invalid are refused; the functions' handler tests
// validate their exchanges too, through api/apitest (docs/api.md).
package api
