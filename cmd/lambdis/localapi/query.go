package localapi

import (
	"errors"
	"strings"
)

// errQueryEscape is a query string with a malformed percent escape.
var errQueryEscape = errors.New("localapi: malformed percent escape in the query string")

// gatewayQuery builds queryStringParameters and multiValueQueryStringParameters
// from the raw query string the way an API Gateway REST API does for a Lambda
// proxy integration, so that a handler sees locally what it sees deployed.
// The rules, and where each comes from (docs/local-api.md has the links):
//
//  1. Pairs are separated by '&' and by ';'. AWS, "Amazon API Gateway
//     important notes for REST APIs": "The semicolon character (;) is not
//     supported for any request URL query string and results in the data
//     being split." (Go's net/url, since Go 1.17, drops such a pair instead.)
//  2. Names and values are percent-decoded once, and '+' is a space: a REST
//     API delivers ?sort=-+createdAt as "- createdAt" (aws/aws-cdk#19827,
//     the event as logged) and aa%2Bbb as "aa+bb" (micronaut-aws#1412).
//  3. A name given several times: multiValueQueryStringParameters lists
//     every value in order, queryStringParameters holds the last (AWS,
//     "Input format of a Lambda function for proxy integration").
//  4. "a=" and a bare "a" are the name a with the empty value. Empty pairs
//     ("&&", a trailing '&') and pairs with an empty name are dropped.
//     (Observed behaviour, not documented by AWS.)
//  5. A malformed percent escape ('%' not followed by two hex digits) makes
//     the gateway refuse the request with a 400 before any authorizer or
//     integration runs (fireprox#27: a stray '%' is a 400 from API
//     Gateway); here that is errQueryEscape, answered 400 bad-request.
//
// Both maps are nil when no parameter remains, as API Gateway sends null.
func gatewayQuery(raw string) (map[string]string, map[string][]string, error) {
	var single map[string]string
	var multi map[string][]string
	for _, pair := range strings.FieldsFunc(raw, func(r rune) bool { return r == '&' || r == ';' }) {
		name, value, _ := strings.Cut(pair, "=")
		k, err := unescapeQuery(name)
		if err != nil {
			return nil, nil, err
		}
		v, err := unescapeQuery(value)
		if err != nil {
			return nil, nil, err
		}
		if k == "" {
			continue
		}
		if single == nil {
			single, multi = map[string]string{}, map[string][]string{}
		}
		single[k] = v
		multi[k] = append(multi[k], v)
	}
	return single, multi, nil
}

// unescapeQuery decodes %XX escapes and '+' (a space) in s.
func unescapeQuery(s string) (string, error) {
	if !strings.ContainsAny(s, "%+") {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			b.WriteByte(' ')
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "", errQueryEscape
			}
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
