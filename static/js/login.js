// The login form sends the token as ?token=, which the server takes out of the URL when it is
// right (a 303). A wrong one comes back with this page: take it out of the address bar and the
// history here, so that nobody reads it there later.
const url = new URL(location.href);
if (url.searchParams.has("token")) {
  url.searchParams.delete("token");
  history.replaceState(history.state, "", url);
}
