// Answering a client that has half-closed its connection.
//
// A client may shut down its sending side once its request is out (`nc -N`, a raw-socket
// script, or one whose body ends short of Content-Length and that then waits for the verdict).
// Go's net/http, which the reference server runs on, still answers it. httplib 0.11 does not:
// before every write it peeks at the socket, and a socket at end-of-file reads as gone to it, so
// the client gets the connection closed and no response at all — not even the 400 for its
// truncated body.
//
// For a response whose body is complete (not a streaming one), we therefore look at the
// request's socket ourselves: when the peer has sent its FIN we write the whole response
// (with `Connection: close`). End-of-file is sticky, so httplib's own write then fails the same
// check and it just closes the connection: the client sees exactly one response. A streaming
// response is left to httplib, whose sink reports the peer as gone; a generation stops, as it
// does in the reference, whose request context is cancelled when the client's side closes.
#pragma once

#include <httplib.h>

namespace pictor::server {

// Sends `res` itself when the client of `req` has half-closed; true if it did. Costs a scan of
// the process's descriptors (ClientConnection::find), so it is called once per response.
bool reply_if_peer_half_closed(const httplib::Request& req, const httplib::Response& res);

}  // namespace pictor::server
