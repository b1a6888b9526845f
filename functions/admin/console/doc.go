// Package console is the admin web console: one page and its scripts and
// styles, embedded in the binary (embed.FS, plain text so that API Gateway
// needs no binary media types), served without a token by the admin
// function and by `lambdis serve`:
//
//	GET /console                the page (a trailing slash is redirected away)
//	GET /console/{asset+}       its scripts and styles
//
// The page holds no data: everything it shows it reads in the browser from
// the admin API (docs/admin-api.md) and the leaderboard read routes, with
// the caller's admin token (pasted once, kept in sessionStorage, sent as
// Authorization: Bearer) or, without one, the session cookie the browser
// holds. Every API call carries X-Requested-With, which the authorizer
// requires of cookie sessions that change state. The API base is the page's
// own path less "/console", so the page works under a stage prefix
// (https://<api>/<stage>/console) as well as at the root of `lambdis serve`.
//
// Responses carry a Content-Security-Policy that allows scripts, styles and
// fetches from the page's own origin only (no inline script, no frame), and
// an ETag: a browser revalidates and gets 304 until the binary changes.
//
// The page is plain HTML, CSS and JavaScript modules, written by hand: no
// library, no build step. docs/console.md describes what it shows.
package console
