package sessionsapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/lambdis/lambdis/shared/envvar"
	"github.com/lambdis/lambdis/shared/session"
)

// Environment variables of the session cookie.
const (
	EnvCookieDomain   = "SESSION_COOKIE_DOMAIN"   // default none (host-only)
	EnvCookiePath     = "SESSION_COOKIE_PATH"     // default /
	EnvCookieSameSite = "SESSION_COOKIE_SAMESITE" // Lax (default), Strict or None
	EnvCookieSecure   = "SESSION_COOKIE_SECURE"   // default true
)

// CookieConfig are the attributes of the session cookie. The cookie is
// always HttpOnly (page scripts never see the id) and has no Max-Age: the
// browser forgets it when closed, the server ends the session on its own
// schedule.
type CookieConfig struct {
	Domain   string
	Path     string // "/" when empty
	SameSite http.SameSite
	// Insecure leaves out Secure: only for plain-HTTP development on a host
	// a browser does not already treat as secure (localhost is).
	Insecure bool
}

// DefaultCookie is lambdis_session=<id>; Path=/; Secure; HttpOnly; SameSite=Lax.
var DefaultCookie = CookieConfig{Path: "/", SameSite: http.SameSiteLaxMode}

// CookieFromEnv reads the SESSION_COOKIE_* variables.
func CookieFromEnv(get envvar.Getenv) (CookieConfig, error) {
	c := DefaultCookie
	c.Domain = envvar.String(get, EnvCookieDomain, "")
	c.Path = envvar.String(get, EnvCookiePath, "/")
	switch v := envvar.String(get, EnvCookieSameSite, "Lax"); strings.ToLower(v) {
	case "lax":
		c.SameSite = http.SameSiteLaxMode
	case "strict":
		c.SameSite = http.SameSiteStrictMode
	case "none":
		c.SameSite = http.SameSiteNoneMode
	default:
		return CookieConfig{}, envvar.Wrap(EnvCookieSameSite, v, errors.New("want Lax, Strict or None"))
	}
	secure, err := envvar.Bool(get, EnvCookieSecure, true)
	if err != nil {
		return CookieConfig{}, err
	}
	c.Insecure = !secure
	if err := c.Validate(); err != nil {
		return CookieConfig{}, err
	}
	return c, nil
}

// Validate checks that the attributes make a cookie browsers accept.
func (c CookieConfig) Validate() error {
	if c.SameSite == http.SameSiteNoneMode && c.Insecure {
		return fmt.Errorf("session cookie: SameSite=None needs Secure (browsers drop it otherwise)")
	}
	if c.Path != "" && !strings.HasPrefix(c.Path, "/") {
		return fmt.Errorf("session cookie: path %q: want one starting with /", c.Path)
	}
	if err := c.cookie("x", 0).Valid(); err != nil {
		return fmt.Errorf("session cookie: %w", err)
	}
	return nil
}

func (c CookieConfig) cookie(value string, maxAge int) *http.Cookie {
	path := c.Path
	if path == "" {
		path = "/"
	}
	return &http.Cookie{
		Name: session.CookieName, Value: value, Path: path, Domain: c.Domain,
		Secure: !c.Insecure, HttpOnly: true, SameSite: c.SameSite, MaxAge: maxAge,
	}
}

// Set is the Set-Cookie value that gives the browser the session id.
func (c CookieConfig) Set(id session.ID) string { return c.cookie(id.Token(), 0).String() }

// Clear is the Set-Cookie value that makes the browser drop the cookie.
func (c CookieConfig) Clear() string { return c.cookie("", -1).String() }
