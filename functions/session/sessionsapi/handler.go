package sessionsapi

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/session"
	"github.com/lambdis/lambdis/shared/telemetry"
)

// The routes of the function, as the API defines them. RouteSession with the
// handle "current" names the presenting session.
const (
	RouteSessions = "/sessions"
	RouteSession  = "/sessions/{handle}"
	// Current is the {handle} that means the caller's own session.
	Current = "current"
)

// Bounds of a request.
const (
	MaxBody        = 4 << 10
	MaxDeviceBytes = 128
)

// DeviceField is the session data field that holds the device name.
const DeviceField = "device"

type store interface {
	Create(ctx context.Context, sub string, opts session.CreateOptions) (session.ID, session.Session, error)
	List(ctx context.Context, sub string) ([]session.Session, error)
	DestroyHandle(ctx context.Context, sub, handle string) (bool, error)
	DestroyOthers(ctx context.Context, sub, keep string) (int, error)
}

// Handler serves the session routes.
type Handler struct {
	Store        store
	Cookie       CookieConfig
	StoreTimeout time.Duration
	Log          *slog.Logger
}

// CreateRequest is the optional body of POST /sessions.
type CreateRequest struct {
	Device string `json:"device,omitempty"`
}

// Session describes one session to its owner: never its id.
type Session struct {
	// Handle names the session (DELETE /sessions/{handle}); it is not a
	// credential.
	Handle   string `json:"handle"`
	Device   string `json:"device,omitempty"`
	Created  string `json:"created"`
	LastSeen string `json:"last_seen"`
	// Expires is when the session ends unless used before; MaxExpires
	// when it ends however much it is used (absent: no maximum lifetime).
	Expires    string   `json:"expires"`
	MaxExpires string   `json:"max_expires,omitempty"`
	Scopes     []string `json:"scopes"`
	// Current is true for the session the request presented.
	Current bool `json:"current"`
}

// ListResponse answers GET /sessions.
type ListResponse struct {
	Sessions []Session `json:"sessions"`
}

// EndResponse answers DELETE /sessions: how many other sessions ended.
type EndResponse struct {
	Ended int `json:"ended"`
}

// Handle routes a proxy request.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	log := telemetry.WithRequest(ctx, h.Log)
	var allow string
	switch req.Resource {
	case RouteSessions:
		allow = "DELETE, GET, POST"
	case RouteSession:
		allow = "DELETE"
	default:
		return apigw.WithRateLimitHeaders(req, apigw.ProblemResponse(apigw.TypeNotFound.New("No such route."))), nil
	}
	var resp events.APIGatewayProxyResponse
	caller, err := apigw.Caller(req)
	switch {
	case !slices.Contains(strings.Split(allow, ", "), req.HTTPMethod):
		resp = apigw.ProblemResponse(apigw.TypeMethodNotAllowed.New("Use " + allow + "."))
		resp.Headers["Allow"] = allow
	case err != nil:
		log.Error("session: no caller identity", "error", err.Error())
		resp = apigw.Internal()
	case caller.Anonymous || caller.Subject == "":
		resp = apigw.Unauthorized("A bearer token or a session is required.")
	case req.Resource == RouteSession:
		resp = h.end(ctx, log, req, caller)
	case req.HTTPMethod == "POST":
		resp = h.create(ctx, log, req, caller)
	case req.HTTPMethod == "GET":
		resp = h.list(ctx, log, caller)
	default:
		resp = h.endOthers(ctx, log, req, caller)
	}
	return apigw.WithRateLimitHeaders(req, resp), nil
}

func (h *Handler) create(ctx context.Context, log *slog.Logger, req events.APIGatewayProxyRequest, caller apigw.Identity) events.APIGatewayProxyResponse {
	if caller.Session != "" {
		return apigw.BadRequest("A session cannot create a session: log in with a bearer token (Authorization: Bearer <jwt>).")
	}
	var body CreateRequest
	if strings.TrimSpace(req.Body) != "" || req.IsBase64Encoded {
		if err := apigw.DecodeJSON(req, MaxBody, &body); err != nil {
			return apigw.DecodeError(err)
		}
	}
	if err := validDevice(body.Device); err != nil {
		return apigw.Unprocessable("The device name is not valid.", apigw.FieldError{Pointer: "/device", Detail: err.Error()})
	}
	opts := session.CreateOptions{Scopes: caller.Scopes}
	if body.Device != "" {
		opts.Data = map[string]string{DeviceField: body.Device}
	}
	sctx, cancel := h.storeContext(ctx)
	defer cancel()
	id, sess, err := h.Store.Create(sctx, caller.Subject, opts)
	switch {
	case errors.Is(err, session.ErrCutOff):
		resp := apigw.Conflict("All sessions of this user were revoked this very second; retry in a second.")
		resp.Headers["Retry-After"] = "1"
		return resp
	case errors.Is(err, session.ErrInvalid):
		// The subject or scopes came from a verified token, yet a
		// session cannot hold them (e.g. a scope with a control
		// character): the token is at fault, not the request.
		log.Warn("session: create refused", "sub", caller.Subject, "error", err.Error())
		return apigw.Unprocessable("This token's subject or scopes cannot be held by a session.")
	case err != nil:
		log.Error("session: create failed", "sub", caller.Subject, "error", err.Error())
		return apigw.StoreUnavailable()
	}
	log.Info("session created", "sub", caller.Subject, "session", sess.Handle, "by_jti", caller.JTI)
	resp := apigw.JSON(201, describe(sess, sess.Handle))
	resp.Headers["Set-Cookie"] = h.Cookie.Set(id)
	resp.Headers["Cache-Control"] = "no-store"
	return resp
}

func (h *Handler) list(ctx context.Context, log *slog.Logger, caller apigw.Identity) events.APIGatewayProxyResponse {
	sctx, cancel := h.storeContext(ctx)
	defer cancel()
	all, err := h.Store.List(sctx, caller.Subject)
	if err != nil {
		log.Error("session: list failed", "sub", caller.Subject, "error", err.Error())
		return apigw.StoreUnavailable()
	}
	out := ListResponse{Sessions: make([]Session, 0, len(all))}
	for _, s := range all {
		out.Sessions = append(out.Sessions, describe(s, caller.Session))
	}
	resp := apigw.JSON(200, out)
	resp.Headers["Cache-Control"] = "no-store"
	return resp
}

// end answers DELETE /sessions/{handle}: log out (current) or end one.
func (h *Handler) end(ctx context.Context, log *slog.Logger, req events.APIGatewayProxyRequest, caller apigw.Identity) events.APIGatewayProxyResponse {
	if resp, ok := noBody(req); !ok {
		return resp
	}
	handle := req.PathParameters["handle"]
	current := handle == Current
	if current {
		if caller.Session == "" {
			return apigw.BadRequest("The request presented a token, not a session: there is no session to log out of (a token is revoked with POST /tokens/revoke).")
		}
		handle = caller.Session
	}
	sctx, cancel := h.storeContext(ctx)
	defer cancel()
	ok, err := h.Store.DestroyHandle(sctx, caller.Subject, handle)
	if err != nil {
		log.Error("session: destroy failed", "sub", caller.Subject, "session", handle, "error", err.Error())
		return apigw.StoreUnavailable()
	}
	if !ok && !current {
		return apigw.NotFound("You have no session with this handle.")
	}
	log.Info("session ended", "sub", caller.Subject, "session", handle, "current", current, "existed", ok)
	resp := apigw.JSON(204, nil)
	if current || handle == caller.Session {
		resp.Headers["Set-Cookie"] = h.Cookie.Clear()
	}
	return resp
}

// endOthers answers DELETE /sessions: log out other devices.
func (h *Handler) endOthers(ctx context.Context, log *slog.Logger, req events.APIGatewayProxyRequest, caller apigw.Identity) events.APIGatewayProxyResponse {
	if resp, ok := noBody(req); !ok {
		return resp
	}
	sctx, cancel := h.storeContext(ctx)
	defer cancel()
	n, err := h.Store.DestroyOthers(sctx, caller.Subject, caller.Session)
	if err != nil {
		log.Error("session: destroy others failed", "sub", caller.Subject, "error", err.Error())
		return apigw.StoreUnavailable()
	}
	log.Info("other sessions ended", "sub", caller.Subject, "kept", caller.Session, "ended", n)
	return apigw.JSON(200, EndResponse{Ended: n})
}

// noBody accepts an empty body or an empty JSON object.
func noBody(req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, bool) {
	if strings.TrimSpace(req.Body) == "" && !req.IsBase64Encoded {
		return events.APIGatewayProxyResponse{}, true
	}
	var empty struct{}
	if err := apigw.DecodeJSON(req, MaxBody, &empty); err != nil {
		return apigw.DecodeError(err), false
	}
	return events.APIGatewayProxyResponse{}, true
}

const timeFormat = "2006-01-02T15:04:05.000Z07:00"

func describe(s session.Session, current string) Session {
	out := Session{
		Handle: s.Handle, Device: s.Data[DeviceField],
		Created: s.Created.UTC().Format(timeFormat), LastSeen: s.LastSeen.UTC().Format(timeFormat),
		Expires: s.Expires.UTC().Format(timeFormat),
		Scopes:  s.Scopes, Current: current != "" && s.Handle == current,
	}
	if out.Scopes == nil {
		out.Scopes = []string{}
	}
	if !s.MaxExpiry.IsZero() {
		out.MaxExpires = s.MaxExpiry.UTC().Format(timeFormat)
	}
	return out
}

func validDevice(d string) error {
	if len(d) > MaxDeviceBytes {
		return errors.New("longer than 128 bytes")
	}
	for _, r := range d {
		if unicode.IsControl(r) || r == unicode.ReplacementChar || r == '\u2028' || r == '\u2029' {
			return errors.New("control characters or invalid UTF-8")
		}
	}
	return nil
}

func (h *Handler) storeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if h.StoreTimeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, h.StoreTimeout)
}
