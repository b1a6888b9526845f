package redisconn

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// parsedURL is what REDIS_URL contributes to a Config.
type parsedURL struct {
	addr     string
	db       int
	username string
	password string
	tls      bool
}

// parseURL reads redis://[user[:password]@]host[:port][/db] or the same with
// rediss:// (TLS). The port defaults to 6379. Query parameters are refused:
// every knob has its own REDIS_* variable. Errors never quote the URL, which
// may hold a password.
func parseURL(s string) (parsedURL, error) {
	u, err := url.Parse(s)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // url.Error repeats the whole URL, password included
		}
		return parsedURL{}, &ConfigError{Var: EnvURL, Reason: "is not a valid URL", Err: err}
	}
	var p parsedURL
	switch u.Scheme {
	case "redis":
	case "rediss":
		p.tls = true
	case "":
		return parsedURL{}, configErr(EnvURL, "has no scheme; want redis:// or rediss://")
	default:
		return parsedURL{}, configErr(EnvURL, fmt.Sprintf("scheme %q is not redis or rediss", u.Scheme))
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return parsedURL{}, configErr(EnvURL, "has no host; want redis://host:port")
	}
	if u.RawQuery != "" || u.ForceQuery {
		return parsedURL{}, configErr(EnvURL, "query parameters are not supported; use the REDIS_* variables")
	}
	if u.Fragment != "" {
		return parsedURL{}, configErr(EnvURL, "has a #fragment")
	}
	port := u.Port()
	if port == "" {
		port = "6379"
	}
	p.addr = net.JoinHostPort(u.Hostname(), port)
	if err := checkAddr(p.addr); err != nil {
		return parsedURL{}, configErr(EnvURL, err.Error())
	}
	if path := strings.TrimPrefix(u.Path, "/"); path != "" {
		db, err := strconv.Atoi(path)
		if err != nil || db < 0 {
			return parsedURL{}, configErr(EnvURL, fmt.Sprintf("database %q is not a non-negative integer", path))
		}
		p.db = db
	}
	if u.User != nil {
		p.username = u.User.Username()
		p.password, _ = u.User.Password()
	}
	return p, nil
}
