// Package strictjson reads JSON from clients without the leniencies of
// encoding/json that an attacker can use to make two readers disagree.
//
// encoding/json matches object member names to struct fields
// case-insensitively (with Unicode case folding: "ſub" matches "sub"), keeps
// the last of duplicate members silently, and replaces invalid UTF-8 with
// U+FFFD. Two components reading the same bytes (the enqueue API that
// validates a webhook payload and the worker that runs it, a JWT library and
// an audit log) can then see different values. RFC 8259 §4 leaves duplicate
// names undefined and RFC 7519 §4 makes a JWT with duplicate claim names
// invalid (or takes the last, at the parser's choice); this package refuses.
//
// Check accepts exactly one JSON value that is valid UTF-8 and has no object
// with a member name twice, at any depth (names compare after unescaping, so
// "\u0073ub" and "sub" are the same name). Unmarshal does Check, then decodes
// into a Go value requiring every member name to be a field's exact JSON name,
// every value to have the field's JSON type, and nothing unknown.
//
// Every rejection is an *Error whose Pointer is the RFC 6901 JSON Pointer of
// the offending value and whose Message says what was expected in JSON terms
// ("an array of strings"); neither names a Go type, field or package, so both
// may be shown to a client.
package strictjson
