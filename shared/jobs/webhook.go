package jobs

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/secrets"
)

// The headers of a webhook POST.
const (
	HeaderSignature = "Lambdis-Signature"
	HeaderJobID     = "Lambdis-Job-Id"
	HeaderAttempt   = "Lambdis-Attempt"
	// UserAgent is the User-Agent of webhook POSTs.
	UserAgent = "Lambdis-Webhook/1"
)

// Bounds of a webhook payload.
const (
	MaxWebhookURL         = 2048
	MaxWebhookHeaders     = 32
	MaxWebhookHeaderName  = 128
	MaxWebhookHeaderValue = 4096
	// DefaultSignatureTolerance is how far VerifySignature lets the
	// signature's timestamp be from now, either way.
	DefaultSignatureTolerance = 5 * time.Minute
	// errorSnippet bounds how much of a failed response's body goes into
	// the job's error.
	errorSnippet = 200
)

// WebhookPayload is the payload of a webhook job.
type WebhookPayload struct {
	URL     string            `json:"url"`
	Body    json.RawMessage   `json:"body"`
	Headers map[string]string `json:"headers,omitempty"`
}

// reservedHeaders may not be set by a payload (lower case); every
// "lambdis-" header is reserved too.
var reservedHeaders = map[string]bool{
	"host": true, "content-length": true, "content-type": true, "transfer-encoding": true,
	"connection": true, "keep-alive": true, "upgrade": true, "te": true, "trailer": true,
	"expect": true, "proxy-authorization": true, "proxy-connection": true, "user-agent": true,
}

// allowRule is one parsed WEBHOOK_ALLOWED_URLS entry.
type allowRule struct {
	scheme, host, path string
}

// parseAllowRule parses an allow-list entry: an absolute https URL (http
// only for a loopback host) without user info, query or fragment.
func parseAllowRule(s string) (allowRule, error) {
	u, err := checkURL(s)
	if err != nil {
		return allowRule{}, err
	}
	if u.RawQuery != "" || u.ForceQuery {
		return allowRule{}, errors.New("an allow-list entry has no query")
	}
	return allowRule{scheme: u.Scheme, host: canonicalHost(u), path: u.Path}, nil
}

// checkURL parses s and rejects what no webhook URL may be.
func checkURL(s string) (*url.URL, error) {
	if len(s) > MaxWebhookURL {
		return nil, fmt.Errorf("URL longer than %d bytes", MaxWebhookURL)
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, errors.New("not a URL")
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, errors.New("the URL must be https")
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return nil, errors.New("the URL must be absolute, with a host")
	case u.User != nil:
		return nil, errors.New("the URL may not carry user info")
	case u.Fragment != "" || strings.Contains(s, "#"):
		return nil, errors.New("the URL may not have a fragment")
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return nil, errors.New("the URL must be https (http only to a loopback host)")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, errors.New("bad port")
		}
	}
	if err := checkPath(u); err != nil {
		return nil, err
	}
	return u, nil
}

// checkPath refuses paths whose meaning could differ between this check and
// the receiving server: dot segments, backslashes, encoded slashes,
// backslashes and dots.
func checkPath(u *url.URL) error {
	esc := strings.ToLower(u.EscapedPath())
	for _, bad := range []string{"%2f", "%5c", "%2e", "\\"} {
		if strings.Contains(esc, bad) {
			return errors.New("the URL path may not contain encoded slashes, backslashes or dots")
		}
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return errors.New("the URL path may not contain . or .. segments")
		}
	}
	if strings.ContainsRune(u.Path, '\\') {
		return errors.New("the URL path may not contain backslashes")
	}
	return nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// canonicalHost is the lower-case host with its port, the scheme's default
// port made explicit.
func canonicalHost(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[u.Scheme]
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// match reports whether u is under the rule: same scheme, same host and
// port, and the path equal to the rule's or below it by whole segments.
func (r allowRule) match(u *url.URL) bool {
	if u.Scheme != r.scheme || canonicalHost(u) != r.host {
		return false
	}
	switch p := u.Path; {
	case r.path == "" || r.path == "/":
		return true
	case strings.HasSuffix(r.path, "/"):
		return strings.HasPrefix(p, r.path)
	default:
		return p == r.path || strings.HasPrefix(p, r.path+"/")
	}
}

// webhook is the webhook job type.
type webhook struct {
	allow   []allowRule
	secret  []byte
	timeout time.Duration
	client  *http.Client
	now     func() time.Time
}

func newWebhook(ctx context.Context, cfg Config, sm secrets.GetSecretValueAPI) (*webhook, error) {
	w := &webhook{secret: cfg.WebhookSecret, timeout: cfg.WebhookTimeout, now: time.Now}
	for _, s := range cfg.WebhookAllowedURLs {
		r, err := parseAllowRule(s)
		if err != nil {
			return nil, fmt.Errorf("jobs: webhook allow-list entry %q: %w", s, err)
		}
		w.allow = append(w.allow, r)
	}
	if w.timeout <= 0 {
		w.timeout = DefaultWebhookTimeout
	}
	if len(w.allow) > 0 {
		if len(w.secret) == 0 && cfg.WebhookSecretARN != "" {
			s, err := fetchSecret(ctx, sm, cfg.WebhookSecretARN)
			if err != nil {
				return nil, err
			}
			w.secret = s
		}
		if len(w.secret) < MinWebhookSecret {
			return nil, fmt.Errorf("jobs: webhooks are enabled (%s) but the secret (%s or %s) is %d bytes, need at least %d",
				EnvWebhookAllowedURLs, EnvWebhookSecret, EnvWebhookSecretARN, len(w.secret), MinWebhookSecret)
		}
	}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		w.client = &c
	} else {
		w.client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	w.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return w, nil
}

// parse decodes and checks a payload, the URL against the allow-list.
func (w *webhook) parse(raw json.RawMessage) (WebhookPayload, *url.URL, error) {
	var p WebhookPayload
	if err := decodePayload(raw, &p); err != nil {
		return p, nil, err
	}
	if p.URL == "" {
		return p, nil, errors.New("url: required")
	}
	u, err := checkURL(p.URL)
	if err != nil {
		return p, nil, fmt.Errorf("url: %w", err)
	}
	if len(w.allow) == 0 {
		return p, nil, fmt.Errorf("url: webhooks are disabled (%s is empty)", EnvWebhookAllowedURLs)
	}
	allowed := false
	for _, r := range w.allow {
		if r.match(u) {
			allowed = true
			break
		}
	}
	if !allowed {
		return p, nil, fmt.Errorf("url: %s is not in %s", redact(u), EnvWebhookAllowedURLs)
	}
	if t := bytes.TrimSpace(p.Body); len(t) == 0 {
		return p, nil, errors.New("body: required (any JSON value)")
	}
	if len(p.Headers) > MaxWebhookHeaders {
		return p, nil, fmt.Errorf("headers: at most %d", MaxWebhookHeaders)
	}
	for name, value := range p.Headers {
		if err := checkHeader(name, value); err != nil {
			return p, nil, fmt.Errorf("headers: %w", err)
		}
	}
	return p, u, nil
}

func checkHeader(name, value string) error {
	if name == "" || len(name) > MaxWebhookHeaderName {
		return fmt.Errorf("a header name is 1 to %d bytes", MaxWebhookHeaderName)
	}
	for i := 0; i < len(name); i++ {
		if !isTokenChar(name[i]) {
			return fmt.Errorf("header name %q is not an HTTP token", name)
		}
	}
	lower := strings.ToLower(name)
	if reservedHeaders[lower] || strings.HasPrefix(lower, "lambdis-") || strings.HasPrefix(lower, "proxy-") {
		return fmt.Errorf("header %q is set by the worker and may not be given", name)
	}
	if len(value) > MaxWebhookHeaderValue || !utf8.ValidString(value) {
		return fmt.Errorf("header %q: at most %d bytes of UTF-8", name, MaxWebhookHeaderValue)
	}
	for _, r := range value {
		if r < 0x20 && r != '\t' || r == 0x7f {
			return fmt.Errorf("header %q: control characters", name)
		}
	}
	return nil
}

// isTokenChar: RFC 9110 tchar.
func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// redact is the URL without its query (which may carry tokens), for errors
// that end up in job records.
func redact(u *url.URL) string {
	c := *u
	c.RawQuery, c.ForceQuery = "", false
	return c.String()
}

func (w *webhook) validate(raw json.RawMessage) error {
	_, _, err := w.parse(raw)
	return err
}

// run POSTs the body; see the package documentation for the outcomes.
func (w *webhook) run(ctx context.Context, d queue.Delivery) error {
	p, u, err := w.parse(d.Payload)
	if err != nil {
		return queue.Permanent(fmt.Errorf("webhook: %w", err))
	}
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	body := []byte(p.Body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return queue.Permanent(fmt.Errorf("webhook: %w", err))
	}
	for name, value := range p.Headers {
		req.Header.Set(name, value)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(HeaderJobID, d.ID)
	req.Header.Set(HeaderAttempt, strconv.Itoa(d.Attempt))
	req.Header.Set(HeaderSignature, Sign(w.secret, w.now(), body))
	resp, err := w.client.Do(req)
	if err != nil {
		// Timeouts, refused connections, TLS failures: worth another try.
		return fmt.Errorf("webhook: POST %s: %w", redact(u), unwrapURLError(err))
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, errorSnippet))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	code := resp.StatusCode
	if code >= 200 && code <= 299 {
		return nil
	}
	err = fmt.Errorf("webhook: POST %s: %s%s", redact(u), resp.Status, quoteSnippet(snippet))
	switch {
	case code == http.StatusRequestTimeout, code == http.StatusTooManyRequests, code >= 500:
		return err
	case code >= 300 && code <= 399:
		return queue.Permanent(fmt.Errorf("%w (redirects are not followed)", err))
	default:
		return queue.Permanent(err)
	}
}

// unwrapURLError drops *url.Error's "Post <url>:" prefix, which would
// repeat the URL with its query.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func quoteSnippet(b []byte) string {
	s := strings.TrimSpace(strings.ToValidUTF8(string(b), ""))
	if s == "" {
		return ""
	}
	return ": " + strconv.Quote(s)
}

// Sign returns the Lambdis-Signature value for body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">".
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// ErrBadSignature is wrapped by every VerifySignature error.
var ErrBadSignature = errors.New("bad webhook signature")

// VerifySignature checks a Lambdis-Signature header value against the raw
// request body, for receivers: some v1 must be the HMAC of "<t>.<body>"
// under secret, and t within tolerance of now (0: DefaultSignatureTolerance),
// which bounds replays. Deduplicate deliveries on Lambdis-Job-Id.
func VerifySignature(secret []byte, header string, body []byte, tolerance time.Duration, now time.Time) error {
	if tolerance <= 0 {
		tolerance = DefaultSignatureTolerance
	}
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return fmt.Errorf("%w: malformed element %q", ErrBadSignature, part)
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			if sig, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, sig)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: no timestamp", ErrBadSignature)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: timestamp %d is outside the tolerance of %v", ErrBadSignature, sec, tolerance)
	}
	want := mac(secret, ts, body)
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			return nil
		}
	}
	return fmt.Errorf("%w: no v1 signature matches", ErrBadSignature)
}
