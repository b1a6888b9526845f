package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/lambdis/lambdis/shared/authz"
)

// defaultTokenTTL is the lifetime of a token without --ttl.
const defaultTokenTTL = 15 * time.Minute

// tokenRequest is what `lambdis token` signs.
type tokenRequest struct {
	Subject   string
	Scopes    []string
	TTL       time.Duration
	Issuer    string
	Audience  []string
	SecretEnv string // the variable holding the HS256 secret
}

// listFlag is a repeatable flag; each value is split on white space when
// split is set.
type listFlag struct {
	values []string
	split  bool
	set    bool
}

func (f *listFlag) String() string { return strings.Join(f.values, " ") }

func (f *listFlag) Set(v string) error {
	parts := []string{v}
	if f.split {
		parts = strings.Fields(v)
	}
	if len(parts) == 0 || strings.TrimSpace(v) == "" {
		return errors.New("empty value")
	}
	f.values = append(f.values, parts...)
	f.set = true
	return nil
}

// runToken is `lambdis token`: it prints one HS256 token on stdout.
func runToken(_ context.Context, c cli, args []string) int {
	req, code, ok := parseTokenFlags(c, args)
	if !ok {
		return code
	}
	secret, code, err := tokenSecret(c, req.SecretEnv)
	if err != nil {
		fmt.Fprintf(c.stderr, "lambdis token: %v\n", err)
		return code
	}
	tok, err := mintToken(secret, req, time.Now())
	if err != nil {
		fmt.Fprintf(c.stderr, "lambdis token: %v\n", err)
		return exitUsage
	}
	fmt.Fprintln(c.stdout, tok)
	return exitOK
}

// parseTokenFlags reads the flags; on failure it has written the reason and
// returns the exit code.
func parseTokenFlags(c cli, args []string) (tokenRequest, int, bool) {
	fs := flag.NewFlagSet("lambdis token", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	var req tokenRequest
	scopes := &listFlag{split: true}
	aud := &listFlag{}
	fs.StringVar(&req.Subject, "sub", "", "the token's subject (required)")
	fs.Var(scopes, "scope", "a scope to grant; repeat the flag or separate scopes with spaces (e.g. admin)")
	fs.DurationVar(&req.TTL, "ttl", defaultTokenTTL, "lifetime, above zero; the authorizer rejects lifetimes over AUTHZ_MAX_TOKEN_TTL (24h unless set)")
	fs.StringVar(&req.Issuer, "iss", c.getenv(authz.EnvJWTIssuer), "issuer (default $"+authz.EnvJWTIssuer+")")
	fs.Var(aud, "aud", "an audience; repeatable (default $"+authz.EnvJWTAudience+")")
	fs.StringVar(&req.SecretEnv, "secret-env", authz.EnvJWTSecret, "the environment variable holding the HS256 secret")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "usage: lambdis token --sub SUB [--scope S]... [--ttl 15m] [--iss ISS] [--aud AUD]... [--secret-env JWT_SECRET]\n\n"+
			"Prints one HS256 token signed with $JWT_SECRET, or with the local development secret\n"+
			"that `lambdis serve` accepts when no JWT_* key source is set.\n\n")
		fs.PrintDefaults()
	}
	if err := parse(c, fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return tokenRequest{}, exitOK, false
		}
		return tokenRequest{}, exitUsage, false // flag has printed the error and the usage
	}
	bad := func(format string, a ...any) (tokenRequest, int, bool) {
		fmt.Fprintf(c.stderr, "lambdis token: "+format+"\n", a...)
		fmt.Fprintln(c.stderr, "run 'lambdis token -h' for the flags")
		return tokenRequest{}, exitUsage, false
	}
	switch {
	case fs.NArg() > 0:
		return bad("unexpected argument %q", fs.Arg(0))
	case strings.TrimSpace(req.Subject) == "":
		return bad("--sub is required and may not be blank")
	case req.TTL <= 0:
		return bad("--ttl must be positive, got %v", req.TTL)
	case strings.TrimSpace(req.SecretEnv) == "":
		return bad("--secret-env may not be empty")
	}
	req.Scopes = scopes.values
	req.Audience = aud.values
	if !aud.set {
		if a := strings.TrimSpace(c.getenv(authz.EnvJWTAudience)); a != "" {
			req.Audience = []string{a}
		}
	}
	return req, exitOK, true
}

// tokenSecret returns the secret in the variable env. Only JWT_SECRET falls
// back to authz.LocalDevSecret, with a note on stderr; another variable that
// is unset is an error.
func tokenSecret(c cli, env string) ([]byte, int, error) {
	s := c.getenv(env)
	switch {
	case s == "" && env != authz.EnvJWTSecret:
		return nil, exitError, fmt.Errorf("--secret-env %s: %s is not set", env, env)
	case s == "":
		devSecretNote(c.stderr, c.getenv)
		return []byte(authz.LocalDevSecret), exitOK, nil
	case len(s) < authz.MinHMACSecretBytes:
		return nil, exitError, fmt.Errorf("%s is %d bytes; HS256 needs at least %d", env, len(s), authz.MinHMACSecretBytes)
	}
	return []byte(s), exitOK, nil
}

func devSecretNote(w io.Writer, getenv func(string) string) {
	fmt.Fprintf(w, "lambdis token: %s is not set: signing with the local development secret (authz.LocalDevSecret)\n", authz.EnvJWTSecret)
	for _, k := range []string{authz.EnvJWTSecretARN, authz.EnvJWTJWKSURL} {
		if strings.TrimSpace(getenv(k)) != "" {
			fmt.Fprintf(w, "lambdis token: warning: %s is set, so functions and `lambdis serve` will not accept this token\n", k)
		}
	}
}

// mintToken signs req with secret at now.
func mintToken(secret []byte, req tokenRequest, now time.Time) (string, error) {
	return authz.SignHS256(secret, authz.Claims{
		Subject:  req.Subject,
		Issuer:   req.Issuer,
		Audience: req.Audience,
		Scopes:   req.Scopes,
	}, now, req.TTL)
}
